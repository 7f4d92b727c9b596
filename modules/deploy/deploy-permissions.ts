/**
 * What the deploy roles need: the IAM actions Terraform's AWS provider 5.100.0 calls to create, read, update and
 * destroy each resource type this library creates, and the actions of the S3 backend's role. From them,
 * `deployActions` lists, for a synthesized stack, the actions each of its provider configurations (each account's
 * deploy role) needs for what that stack puts in that account, and nothing for what it does not.
 *
 * The end-to-end suites record every action each deploy role of the emulator is asked for while the shipped local
 * stacks are applied, planned again and destroyed, and fail if one is missing here. Some actions are never seen
 * there and are listed from AWS's rules: those AWS checks beside the call (iam:PassRole for a function's role,
 * tag-on-create permissions, the EC2 reads of a function in a VPC), and updates the suites do not make.
 */
import { StackView, type StackJson } from "../core/stack-view";

/** Actions by Terraform resource type: what the provider calls for that type over its whole life. */
export const DEPLOY_ACTIONS_BY_RESOURCE_TYPE: Readonly<Record<string, readonly string[]>> = {
  aws_iam_role: [
    "iam:CreateRole",
    "iam:GetRole",
    "iam:TagRole",
    "iam:UntagRole",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateRole",
    "iam:ListRolePolicies",
    "iam:ListAttachedRolePolicies",
    "iam:ListInstanceProfilesForRole",
    "iam:DeleteRole",
  ],
  aws_iam_role_policy: ["iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy"],
  aws_lambda_function: [
    "lambda:CreateFunction",
    "lambda:GetFunction",
    "lambda:GetFunctionCodeSigningConfig",
    "lambda:ListVersionsByFunction",
    "lambda:UpdateFunctionCode",
    "lambda:UpdateFunctionConfiguration",
    "lambda:TagResource",
    "lambda:UntagResource",
    "lambda:PutFunctionConcurrency",
    "lambda:DeleteFunctionConcurrency",
    "lambda:DeleteFunction",
    // Lambda checks that the caller may pass the function's role; a function in a VPC also needs these reads.
    "iam:PassRole",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeVpcs",
  ],
  aws_cloudwatch_log_group: [
    "logs:CreateLogGroup",
    "logs:DescribeLogGroups",
    "logs:PutRetentionPolicy",
    "logs:DeleteRetentionPolicy",
    "logs:ListTagsForResource",
    "logs:TagResource",
    "logs:UntagResource",
    "logs:DeleteLogGroup",
  ],
  aws_cloudwatch_log_metric_filter: ["logs:PutMetricFilter", "logs:DescribeMetricFilters", "logs:DeleteMetricFilter"],
  aws_cloudwatch_metric_alarm: [
    "cloudwatch:PutMetricAlarm",
    "cloudwatch:DescribeAlarms",
    "cloudwatch:ListTagsForResource",
    "cloudwatch:TagResource",
    "cloudwatch:UntagResource",
    "cloudwatch:DeleteAlarms",
  ],
  aws_s3_bucket: [
    "s3:CreateBucket",
    // HeadBucket, which the provider calls to find the bucket, is authorized as s3:ListBucket.
    "s3:ListBucket",
    "s3:GetBucketPolicy",
    "s3:GetBucketAcl",
    "s3:GetBucketCORS",
    "s3:GetBucketWebsite",
    "s3:GetBucketVersioning",
    "s3:GetAccelerateConfiguration",
    "s3:GetBucketRequestPayment",
    "s3:GetBucketLogging",
    "s3:GetLifecycleConfiguration",
    "s3:GetReplicationConfiguration",
    "s3:GetEncryptionConfiguration",
    "s3:GetBucketObjectLockConfiguration",
    "s3:GetBucketTagging",
    "s3:PutBucketTagging",
    "s3:DeleteBucket",
    // force_destroy empties the bucket first, every version of every object.
    "s3:ListBucketVersions",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
  ],
  // A grant's events: the bucket's notification configuration (replaced whole; destroy puts an empty one).
  aws_s3_bucket_notification: ["s3:PutBucketNotification", "s3:GetBucketNotification"],
  aws_cloudwatch_event_bus: [
    "events:CreateEventBus",
    "events:DescribeEventBus",
    "events:UpdateEventBus",
    "events:ListTagsForResource",
    "events:TagResource",
    "events:UntagResource",
    "events:DeleteEventBus",
  ],
  // The bus's whole policy: PutPermission with Policy; destroy removes every statement.
  aws_cloudwatch_event_bus_policy: ["events:PutPermission", "events:DescribeEventBus", "events:RemovePermission"],
  aws_cloudwatch_event_rule: [
    "events:PutRule",
    "events:DescribeRule",
    "events:ListTagsForResource",
    "events:TagResource",
    "events:UntagResource",
    "events:DeleteRule",
  ],
  aws_cloudwatch_event_target: [
    "events:PutTargets",
    "events:ListTargetsByRule",
    "events:RemoveTargets",
    // EventBridge checks that the caller may pass the role a target sends with (the bucket account's rule).
    "iam:PassRole",
  ],
  aws_lambda_permission: ["lambda:AddPermission", "lambda:GetPolicy", "lambda:RemovePermission"],
  // A grant's events on the SQS path: Lambda reads the grant's queue for the function.
  aws_lambda_event_source_mapping: [
    "lambda:CreateEventSourceMapping",
    "lambda:GetEventSourceMapping",
    "lambda:UpdateEventSourceMapping",
    "lambda:ListTags",
    "lambda:TagResource",
    "lambda:UntagResource",
    "lambda:DeleteEventSourceMapping",
  ],
  aws_sqs_queue: [
    "sqs:CreateQueue",
    "sqs:GetQueueUrl",
    "sqs:GetQueueAttributes",
    "sqs:SetQueueAttributes",
    "sqs:ListQueueTags",
    "sqs:TagQueue",
    "sqs:UntagQueue",
    "sqs:DeleteQueue",
  ],
  aws_s3_bucket_versioning: ["s3:PutBucketVersioning", "s3:GetBucketVersioning"],
  aws_s3_bucket_server_side_encryption_configuration: [
    "s3:PutEncryptionConfiguration",
    "s3:GetEncryptionConfiguration",
  ],
  aws_s3_bucket_public_access_block: ["s3:PutBucketPublicAccessBlock", "s3:GetBucketPublicAccessBlock"],
  aws_s3_bucket_ownership_controls: ["s3:PutBucketOwnershipControls", "s3:GetBucketOwnershipControls"],
  aws_s3_bucket_policy: ["s3:PutBucketPolicy", "s3:GetBucketPolicy", "s3:DeleteBucketPolicy"],
  // DeleteBucketLifecycle is authorized as s3:PutLifecycleConfiguration.
  aws_s3_bucket_lifecycle_configuration: ["s3:PutLifecycleConfiguration", "s3:GetLifecycleConfiguration"],
  // Destroy is a PutBucketLogging with logging off.
  aws_s3_bucket_logging: ["s3:PutBucketLogging", "s3:GetBucketLogging"],
  // DeleteBucketMetricsConfiguration is authorized as s3:PutMetricsConfiguration.
  aws_s3_bucket_metric: ["s3:PutMetricsConfiguration", "s3:GetMetricsConfiguration"],
  aws_s3_access_point: [
    "s3:CreateAccessPoint",
    "s3:GetAccessPoint",
    "s3:GetAccessPointPolicy",
    "s3:GetAccessPointPolicyStatus",
    "s3:PutAccessPointPolicy",
    "s3:DeleteAccessPointPolicy",
    "s3:DeleteAccessPoint",
  ],
  aws_kms_key: [
    "kms:CreateKey",
    "kms:DescribeKey",
    "kms:GetKeyPolicy",
    "kms:PutKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:EnableKeyRotation",
    "kms:DisableKeyRotation",
    "kms:ListResourceTags",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateKeyDescription",
    "kms:ScheduleKeyDeletion",
  ],
  aws_kms_alias: ["kms:CreateAlias", "kms:ListAliases", "kms:UpdateAlias", "kms:DeleteAlias"],
  aws_kms_key_policy: ["kms:PutKeyPolicy", "kms:GetKeyPolicy", "kms:DescribeKey"],
};

/**
 * The S3 backend's role, in the state bucket's account: list the bucket, read and write each stack's state
 * (`<keyPrefix><stack>.tfstate`), delete its lock file (`.tflock`); with a KMS key for the state, use it.
 */
export const STATE_BACKEND_ACTIONS = {
  bucket: ["s3:ListBucket"],
  objects: ["s3:GetObject", "s3:PutObject"],
  lockFile: ["s3:DeleteObject"],
  kmsKey: ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"],
} as const;

/** What one provider configuration of a stack (one account's deploy role) needs for the resources it creates. */
export interface ProviderDeployActions {
  /** The provider as resources name it: `aws` or `aws.<alias>`. */
  readonly provider: string;
  /** The role it assumes, when it assumes one. */
  readonly roleArn?: string;
  /** The resource types of the stack created through it, sorted. */
  readonly resourceTypes: readonly string[];
  /** The actions they need, sorted and without repeats. */
  readonly actions: readonly string[];
  /** Resource types through it that this library does not create: their actions are the app's to add. */
  readonly unknownResourceTypes: readonly string[];
}

/**
 * The deploy actions of a synthesized stack (its `cdk.tf.json`, parsed), one entry per AWS provider configuration
 * that creates something, in the order the stack declares them.
 */
export function deployActions(stack: StackJson): ProviderDeployActions[] {
  // Each provider configuration as the stack view reads it (the one lookup of provider to account and role).
  const roles = new Map(
    [...new StackView(stack, "stack", "opaque").providers].map(([address, place]) => [address, place.roleArn]),
  );
  const typesBy = new Map<string, Set<string>>();
  for (const [type, resources] of Object.entries(stack.resource ?? {})) {
    if (!type.startsWith("aws_")) continue;
    for (const resource of Object.values(resources)) {
      const provider = (resource as { provider?: string }).provider ?? "aws";
      if (!typesBy.has(provider)) typesBy.set(provider, new Set());
      typesBy.get(provider)!.add(type);
    }
  }
  const order = [...roles.keys(), ...[...typesBy.keys()].filter((p) => !roles.has(p))];
  return order
    .filter((provider) => typesBy.has(provider))
    .map((provider) => {
      const resourceTypes = [...typesBy.get(provider)!].sort();
      const roleArn = roles.get(provider);
      return {
        provider,
        ...(roleArn === undefined ? {} : { roleArn }),
        resourceTypes,
        actions: [...new Set(resourceTypes.flatMap((t) => DEPLOY_ACTIONS_BY_RESOURCE_TYPE[t] ?? []))].sort(),
        unknownResourceTypes: resourceTypes.filter((t) => DEPLOY_ACTIONS_BY_RESOURCE_TYPE[t] === undefined),
      };
    });
}
