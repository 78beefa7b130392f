export { softirqVectors, pickVectors, vectorMask, type SoftirqVector } from './vectors.ts';
