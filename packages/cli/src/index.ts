export { TOOLS, type ToolInfo } from './registry.ts';
export { doctor, renderDoctor, type DoctorReport } from './doctor.ts';
export { main, listText } from './netstrata.ts';
export { audit, renderAudit, exitStatus, RULES, EXIT_FINDINGS, type AuditReport, type RuleSummary } from './audit/report.ts';
export type { Finding, Unread, Severity, Scope } from './audit/findings.ts';
export { renderDiagnosis } from './diagnose/report.ts';
export type { Diagnosis } from './diagnose/command.ts';
export type { Finding as DiagnoseFinding, Verdict as DiagnoseVerdict } from './diagnose/verdict.ts';
