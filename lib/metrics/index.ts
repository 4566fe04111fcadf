export { instanceAP, DEFAULT_AP_THRESHOLDS, type InstanceAPResult } from './instance-ap';
export { matchedVoxelAgreement } from './agreement';
