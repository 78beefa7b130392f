export { DropReasons } from './drop-reasons.ts';
