/** The audit log's field diff is the kernel's (versions of a flow are compared with it too). */
export { auditDiff, type FieldChange } from '../../../core/domain/field-diff.ts';
