export { TOOLS, type ToolInfo } from './registry.ts';
export { doctor, renderDoctor, type DoctorReport } from './doctor.ts';
export { main, listText } from './netstrata.ts';
