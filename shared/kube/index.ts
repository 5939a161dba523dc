export { awsAuthMappings, isAdminMapping, isAwsAuth, mappingLine, parseMappings } from './aws-auth';
export {
  actor,
  actorName,
  created,
  identityKey,
  isAnonymous,
  isServiceAccount,
  isSystemIdentity,
  isWrite,
  objectName,
  pastTense,
  succeeded,
} from './identity';
export {
  asObject,
  bodyOf,
  containersOf,
  imagesSeenIn,
  isTrustedImage,
  ownerWorkload,
  parseImage,
  pathOf,
  podSpecsOf,
  WORKLOAD_RESOURCES,
  workloadKind,
} from './images';
export {
  isSystemRoleName,
  RBAC_KINDS,
  RBAC_RESOURCES,
  type RbacContent,
  rbacContent,
  rbacObject,
  riskyBinding,
  riskyRules,
  ruleLine,
  subjectText,
} from './rbac';
