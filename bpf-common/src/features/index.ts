export { probe, probeAll, resetProbes, FEATURES, type FeatureName, type Answer } from './probes.ts';
export { chooseFlavour, applyFlavour, tracepointFlavours, type Hook, type HookFlavour, type FlavourChoice } from './flavours.ts';
