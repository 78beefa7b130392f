import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { decompressKernel } from './image.ts';

/** A bzImage as the setup header lays it out: one setup sector, then the compressed payload with
 * the decompressed size after it. */
function bzImage(payload: Buffer, size: number): Buffer {
  const setupSects = 1;
  const start = (setupSects + 1) * 512;
  const img = Buffer.alloc(start + payload.length + 4);
  img[0x1f1] = setupSects;
  img.writeUInt32LE(0x53726448, 0x202); // "HdrS"
  img.writeUInt32LE(0, 0x248); // payload_offset, from the protected-mode start
  img.writeUInt32LE(payload.length + 4, 0x24c); // payload_length, with the size trailer
  payload.copy(img, start);
  img.writeUInt32LE(size, start + payload.length);
  return img;
}

describe('decompressKernel', () => {
  const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), Buffer.alloc(4096, 7)]);

  it.each(['xz', 'zstd'])('takes the ELF out of a %s-compressed bzImage', (tool) => {
    const packed = execFileSync(tool, tool === 'xz' ? ['-c', '--check=crc32'] : ['-c', '-q'], { input: elf });
    expect(decompressKernel(bzImage(packed, elf.length)).equals(elf)).toBe(true);
  });

  it('refuses what is not a bzImage, or a payload it cannot read', () => {
    expect(() => decompressKernel(Buffer.alloc(4096))).toThrow(/not a bzImage/);
    expect(() => decompressKernel(bzImage(Buffer.from('plain text, not compressed'), 26))).toThrow(/unknown format/);
  });
});
