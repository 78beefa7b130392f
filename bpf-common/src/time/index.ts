export { WallClock } from './clock.ts';
