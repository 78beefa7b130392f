/* NST_BTF_STRUCT(tag) puts `struct tag` into the object's BTF even when the programs use it only
 * through locals or a ring buffer record: clang emits BTF only for the types that maps, globals and
 * program signatures name. With every record the user side decodes or encodes in the BTF, its
 * decoders can be checked member by member against the object (the bpf2go -type model).
 *
 * The anchor is an unused pointer in a section of its own, which libbpf skips as an unrecognized
 * data section: no map is created and nothing is loaded; only the BTF (VAR __nst_btf_<tag> in
 * DATASEC .nst.btf) remains. Place it beside the struct and its size assert. */
#ifndef NETSTRATA_BTF_H
#define NETSTRATA_BTF_H

#define NST_BTF_SECTION ".nst.btf"

#define NST_BTF_STRUCT(tag) \
	struct tag *__nst_btf_##tag __attribute__((section(NST_BTF_SECTION), unused))

/* The same for an enum whose values the user side mirrors (loss counter indices). */
#define NST_BTF_ENUM(tag) \
	enum tag *__nst_btf_enum_##tag __attribute__((section(NST_BTF_SECTION), unused))

#endif
