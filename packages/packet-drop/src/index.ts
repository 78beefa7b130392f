export { summaryCommand, DESCRIBE as SUMMARY_DESCRIBE } from './summary/command.ts';
export { detailsCommand, DESCRIBE as DETAILS_DESCRIBE } from './details/command.ts';
export { kfreeSkbHook, allDropPrograms } from './hooks.ts';
