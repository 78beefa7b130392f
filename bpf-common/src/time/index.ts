export { WallClock, spanHeading, timeOfDay } from './clock.ts';
