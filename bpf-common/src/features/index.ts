export { probe, probeAll, resetProbes, releaseProbes, FEATURES, type FeatureName, type Answer } from './probes.ts';
export { chooseFlavour, applyFlavour, tracepointFlavours, moduleTracepointFlavours, functionFlavours, functionInBtf, functionInKallsyms, tracepointDefined, moduleMissing, type Hook, type HookFlavour, type FlavourChoice } from './flavours.ts';
export { verifyFlavour, type Verdict } from './verify.ts';
