/** Kernel and end-to-end tests need root. Outside root they skip and say why; on CI they fail. */
export const isRoot = process.getuid?.() === 0;

export function requireRoot(what: string): boolean {
  if (isRoot) return true;
  if (process.env.CI) throw new Error(`${what} needs root, and CI must not skip it`);
  console.warn(`skipping ${what}: not root`);
  return false;
}
