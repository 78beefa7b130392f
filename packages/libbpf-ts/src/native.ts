/**
 * The only file that touches koffi: declarations of the libbpf and libc functions we call.
 * Pointers come back as opaque values (koffi externals / bigints) and never leave this package.
 */
import koffi from 'koffi';

export type Ptr = unknown;

const libbpf = koffi.load('libbpf.so.1');
const libc = koffi.load('libc.so.6');

koffi.opaque('bpf_object');
koffi.opaque('bpf_program');
koffi.opaque('bpf_map');
koffi.opaque('bpf_link');
koffi.opaque('btf');
koffi.opaque('perf_buffer');

export const PrintFn = koffi.proto('int libbpf_print_fn(int level, const char *fmt, void *args)');
export const PerfSampleFn = koffi.proto('void perf_sample_fn(void *ctx, int cpu, void *data, uint32_t size)');
export const PerfLostFn = koffi.proto('void perf_lost_fn(void *ctx, int cpu, uint64_t cnt)');

export const n = {
  libbpf_set_print: libbpf.func('void *libbpf_set_print(libbpf_print_fn *fn)'),
  libbpf_num_possible_cpus: libbpf.func('int libbpf_num_possible_cpus(void)'),
  libbpf_major_version: libbpf.func('uint32_t libbpf_major_version(void)'),
  libbpf_minor_version: libbpf.func('uint32_t libbpf_minor_version(void)'),

  bpf_object__open_mem: libbpf.func('bpf_object *bpf_object__open_mem(const void *buf, size_t sz, const void *opts)'),
  bpf_object__load: libbpf.func('int bpf_object__load(bpf_object *obj)'),
  bpf_object__close: libbpf.func('void bpf_object__close(bpf_object *obj)'),
  bpf_object__btf: libbpf.func('btf *bpf_object__btf(const bpf_object *obj)'),
  bpf_object__next_program: libbpf.func('bpf_program *bpf_object__next_program(const bpf_object *obj, bpf_program *prev)'),
  bpf_object__next_map: libbpf.func('bpf_map *bpf_object__next_map(const bpf_object *obj, const bpf_map *prev)'),

  bpf_program__name: libbpf.func('const char *bpf_program__name(const bpf_program *p)'),
  bpf_program__section_name: libbpf.func('const char *bpf_program__section_name(const bpf_program *p)'),
  bpf_program__type: libbpf.func('int bpf_program__type(const bpf_program *p)'),
  bpf_program__autoload: libbpf.func('bool bpf_program__autoload(const bpf_program *p)'),
  bpf_program__set_autoload: libbpf.func('int bpf_program__set_autoload(bpf_program *p, bool autoload)'),
  bpf_program__set_attach_target: libbpf.func('int bpf_program__set_attach_target(bpf_program *p, int fd, const char *name)'),
  bpf_program__fd: libbpf.func('int bpf_program__fd(const bpf_program *p)'),
  bpf_obj_get_info_by_fd: libbpf.func('int bpf_obj_get_info_by_fd(int fd, _Inout_ uint8_t *info, _Inout_ uint32_t *len)'),
  bpf_enable_stats: libbpf.func('int bpf_enable_stats(int type)'),
  bpf_program__attach: libbpf.func('bpf_link *bpf_program__attach(const bpf_program *p)'),
  bpf_program__attach_tracepoint: libbpf.func('bpf_link *bpf_program__attach_tracepoint(const bpf_program *p, const char *cat, const char *name)'),
  bpf_program__attach_raw_tracepoint: libbpf.func('bpf_link *bpf_program__attach_raw_tracepoint(const bpf_program *p, const char *name)'),
  bpf_program__attach_kprobe: libbpf.func('bpf_link *bpf_program__attach_kprobe(const bpf_program *p, bool retprobe, const char *func)'),
  bpf_program__attach_uprobe_opts: libbpf.func('bpf_link *bpf_program__attach_uprobe_opts(const bpf_program *p, int pid, const char *path, size_t offset, const void *opts)'),
  bpf_program__attach_kprobe_multi_opts: libbpf.func('bpf_link *bpf_program__attach_kprobe_multi_opts(const bpf_program *p, const char *pattern, const void *opts)'),
  bpf_link__destroy: libbpf.func('int bpf_link__destroy(bpf_link *link)'),

  bpf_map__name: libbpf.func('const char *bpf_map__name(const bpf_map *m)'),
  bpf_map__type: libbpf.func('int bpf_map__type(const bpf_map *m)'),
  bpf_map__key_size: libbpf.func('uint32_t bpf_map__key_size(const bpf_map *m)'),
  bpf_map__value_size: libbpf.func('uint32_t bpf_map__value_size(const bpf_map *m)'),
  bpf_map__max_entries: libbpf.func('uint32_t bpf_map__max_entries(const bpf_map *m)'),
  bpf_map__set_max_entries: libbpf.func('int bpf_map__set_max_entries(bpf_map *m, uint32_t n)'),
  bpf_map__fd: libbpf.func('int bpf_map__fd(const bpf_map *m)'),
  bpf_map__is_internal: libbpf.func('bool bpf_map__is_internal(const bpf_map *m)'),
  bpf_map__initial_value: libbpf.func('void *bpf_map__initial_value(bpf_map *m, _Out_ size_t *psize)'),

  btf__raw_data: libbpf.func('const void *btf__raw_data(const btf *b, _Out_ uint32_t *size)'),

  bpf_map_lookup_elem: libbpf.func('int bpf_map_lookup_elem(int fd, const void *key, _Out_ void *value)'),
  bpf_map_update_elem: libbpf.func('int bpf_map_update_elem(int fd, const void *key, const void *value, uint64_t flags)'),
  bpf_map_delete_elem: libbpf.func('int bpf_map_delete_elem(int fd, const void *key)'),
  bpf_map_lookup_and_delete_elem: libbpf.func('int bpf_map_lookup_and_delete_elem(int fd, const void *key, _Out_ void *value)'),
  bpf_map_get_next_key: libbpf.func('int bpf_map_get_next_key(int fd, const void *key, _Out_ void *next)'),
  bpf_map_lookup_batch: libbpf.func(
    'int bpf_map_lookup_batch(int fd, void *in_batch, _Out_ void *out_batch, _Out_ void *keys, _Out_ void *values, _Inout_ uint32_t *count, const void *opts)',
  ),
  bpf_prog_load: libbpf.func('int bpf_prog_load(int type, const char *name, const char *license, const void *insns, size_t insn_cnt, const void *opts)'),
  bpf_raw_tracepoint_open: libbpf.func('int bpf_raw_tracepoint_open(const char *name, int prog_fd)'),
  bpf_map_create: libbpf.func('int bpf_map_create(int type, const char *name, uint32_t key_size, uint32_t value_size, uint32_t max_entries, const void *opts)'),

  perf_buffer__new: libbpf.func(
    'perf_buffer *perf_buffer__new(int fd, size_t pages, perf_sample_fn *sample, perf_lost_fn *lost, void *ctx, const void *opts)',
  ),
  perf_buffer__consume: libbpf.func('int perf_buffer__consume(perf_buffer *pb)'),
  perf_buffer__free: libbpf.func('void perf_buffer__free(perf_buffer *pb)'),

  vsnprintf: libc.func('int vsnprintf(_Out_ uint8_t *buf, size_t size, const char *fmt, void *ap)'),
  mmap: libc.func('void *mmap(void *addr, size_t len, int prot, int flags, int fd, int64_t off)'),
  munmap: libc.func('int munmap(void *addr, size_t len)'),
  close: libc.func('int close(int fd)'),
  sysconf: libc.func('long sysconf(int name)'),
  malloc_trim: libc.func('int malloc_trim(size_t pad)'),
  clock_gettime: libc.func('int clock_gettime(int clk, _Out_ int64_t *ts)'),
  socket: libc.func('int socket(int domain, int type, int protocol)'),
  setsockopt: libc.func('int setsockopt(int fd, int level, int name, const int *value, uint32_t len)'),
};

export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const MAP_SHARED = 1;
const SC_PAGESIZE = 30;

export function errno(set?: number): number {
  return set === undefined ? koffi.errno() : koffi.errno(set);
}

export function isNull(p: Ptr): boolean {
  return p === null || p === undefined || koffi.address(p) === 0n;
}

export function address(p: Ptr): bigint {
  return koffi.address(p);
}

/** An ArrayBuffer over native memory; valid only while that memory stays mapped. */
export function view(p: Ptr, len: number): ArrayBuffer {
  return koffi.view(p, len);
}

export function registerPrint(fn: (level: number, fmt: string, args: Ptr) => number): unknown {
  return koffi.register(fn, koffi.pointer(PrintFn));
}

export function registerCallback(fn: Function, proto: unknown): unknown {
  return koffi.register(fn, koffi.pointer(proto as never));
}

export function unregister(cb: unknown): void {
  koffi.unregister(cb as bigint);
}

export function pageSize(): number {
  return Number(n.sysconf(SC_PAGESIZE));
}

/** mmap returns MAP_FAILED ((void *)-1) on error. */
export function mmapFailed(p: Ptr): boolean {
  return koffi.address(p) === 0xffffffffffffffffn;
}

/** Native copy of a JS byte array that stays alive as long as the returned Buffer does. */
export function cbuf(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
