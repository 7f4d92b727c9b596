import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { Construct, type ITerraformDependable, type TerraformProvider } from "../core/cdktf";
import { libraryConstruct } from "../core/compatibility";
import { bucketKeyPolicy } from "../policy/baseline";
import { renderPolicy, type PolicyStatement } from "../core/policy-document";
import { partitionOf } from "../core/regions";
import { parseOrThrow, schemas } from "../declaration/validate";
import { literalConfig } from "../core/terraform-text";

export interface BucketKeyProps {
  /** The aliased AWS provider of the bucket account (B); every resource is created through it. */
  readonly provider: TerraformProvider;
  /** Account B's ID: its root keeps administering the key through IAM. */
  readonly accountId: string;
  /** Region of the key; decides the ARN partition. */
  readonly region: string;
  /** Alias of the key, e.g. `alias/data-bucket`. */
  readonly alias: string;
  /** Description of the key. @default "Encrypts objects of an S3 bucket" */
  readonly description?: string | undefined;
  /** Statements the key policy carries after the account's own administration statement. @default [] */
  readonly policyStatements?: readonly PolicyStatement[] | undefined;
  /** Resources the key policy must wait for (KMS refuses principals that do not exist yet). @default [] */
  readonly dependsOn?: readonly ITerraformDependable[] | undefined;
  /** Days KMS waits before deleting the key after destroy (7-30). @default 30 */
  readonly deletionWindowInDays?: number | undefined;
}

/** Account B: a customer-managed KMS key with yearly rotation, an alias, and a key policy that B controls. */
export class BucketKey extends Construct {
  public readonly key: KmsKey;
  public readonly alias: KmsAlias;
  public readonly keyArn: string;

  constructor(scope: Construct, id: string, props: BucketKeyProps) {
    super(scope, id);
    libraryConstruct(this, id, { provider: props.provider });
    const settings = parseOrThrow(
      schemas().bucketKeySettingsSchema,
      {
        accountId: props.accountId,
        region: props.region,
        alias: props.alias,
        deletionWindowInDays: props.deletionWindowInDays,
      },
      id,
    );
    const { partition } = partitionOf(settings.region);
    this.key = new KmsKey(
      this,
      "key",
      literalConfig({
        provider: props.provider,
        description: props.description ?? "Encrypts objects of an S3 bucket",
        enableKeyRotation: true,
        deletionWindowInDays: settings.deletionWindowInDays ?? 30,
        policy: renderPolicy(bucketKeyPolicy(partition, settings.accountId, props.policyStatements ?? [])),
        ...(props.dependsOn?.length ? { dependsOn: [...props.dependsOn] } : {}),
      }),
    );
    this.alias = new KmsAlias(
      this,
      "alias",
      literalConfig({
        provider: props.provider,
        name: settings.alias,
        targetKeyId: this.key.keyId,
      }),
    );
    this.keyArn = this.key.arn;
  }
}
