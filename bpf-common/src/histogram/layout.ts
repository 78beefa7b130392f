/** struct nst_hist (netstrata/hist_types.h), for the structs of the tools that embed it. */
import { array, struct } from '../layout/struct.ts';
import { SLOTS } from './loglinear.ts';

export const nstHist = struct('nst_hist', { slots: array('u64', SLOTS) });
