import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { Construct, type ITerraformDependable, type TerraformProvider } from "../core/cdktf";
import { libraryConstruct } from "../core/compatibility";
import { renderPolicy, type PolicyDocument } from "../core/policy-document";
import { parseOrThrow, schemas } from "../declaration/validate";
import { literalConfig } from "../core/terraform-text";

export interface S3AccessRoleProps {
  /** The aliased AWS provider of the bucket account (B); every resource is created through it. */
  readonly provider: TerraformProvider;
  /** Name of the role. */
  readonly roleName: string;
  /** IAM path of the role. @default "/" */
  readonly path?: string | undefined;
  /** Who may assume the role (the Lambda role of account A, with its ExternalId condition). */
  readonly trustPolicy: PolicyDocument;
  /** What the role may do in the bucket and with its key. */
  readonly policy: PolicyDocument;
  /** Resources the role must wait for (IAM refuses a trust policy naming a role that does not exist yet). @default [] */
  readonly dependsOn?: readonly ITerraformDependable[] | undefined;
  /** Longest session the role hands out, in seconds. @default 3600 */
  readonly maxSessionDuration?: number | undefined;
}

/** Account B, assume-role mode: the role that holds the S3 and KMS permissions and trusts A's Lambda role. */
export class S3AccessRole extends Construct {
  public readonly role: IamRole;
  public readonly rolePolicy: IamRolePolicy;

  constructor(scope: Construct, id: string, props: S3AccessRoleProps) {
    super(scope, id);
    libraryConstruct(this, id, { provider: props.provider });
    const roleName = parseOrThrow(schemas().roleNameSchema, props.roleName, `${id}.roleName`);
    const path =
      props.path === undefined ? undefined : parseOrThrow(schemas().rolePathSchema, props.path, `${id}.path`);
    this.role = new IamRole(
      this,
      "role",
      literalConfig({
        provider: props.provider,
        name: roleName,
        ...(path !== undefined ? { path } : {}),
        description: "Cross-account S3 access role assumed by a Lambda function in another account",
        assumeRolePolicy: renderPolicy(props.trustPolicy),
        maxSessionDuration: props.maxSessionDuration ?? 3600,
        ...(props.dependsOn?.length ? { dependsOn: [...props.dependsOn] } : {}),
      }),
    );
    this.rolePolicy = new IamRolePolicy(
      this,
      "policy",
      literalConfig({
        provider: props.provider,
        name: "cross-account-s3-access",
        role: this.role.name,
        policy: renderPolicy(props.policy),
      }),
    );
  }
}
