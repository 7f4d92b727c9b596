import { parseArn } from "./arn";
/** The AWS regions and partitions this library supports, as the AWS provider 5.100.0 knows them. */

/**
 * The regions of the three partitions this project supports, exactly as the AWS provider 5.100.0 accepts them
 * (test/validate checks this list against the provider itself): a region it does not know fails `terraform plan`.
 */
export const REGIONS = {
  aws: [
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
  ],
  "aws-cn": ["cn-north-1", "cn-northwest-1"],
  "aws-us-gov": ["us-gov-east-1", "us-gov-west-1"],
} as const satisfies Readonly<Record<string, readonly string[]>>;

export type Partition = keyof typeof REGIONS;
export const PARTITIONS = Object.keys(REGIONS) as Partition[];
export const ALL_REGIONS: readonly string[] = Object.values(REGIONS).flat();

/** The partition and DNS suffix AWS uses in a region (a region is assumed valid: see regionSchema). */
export function partitionOf(region: string): { partition: Partition; dnsSuffix: string } {
  if (region.startsWith("cn-")) return { partition: "aws-cn", dnsSuffix: "amazonaws.com.cn" };
  if (region.startsWith("us-gov-")) return { partition: "aws-us-gov", dnsSuffix: "amazonaws.com" };
  return { partition: "aws", dnsSuffix: "amazonaws.com" };
}

/** The partition an ARN names (`arn:<partition>:...`). */
export const partitionOfArn = (arn: string): string => parseArn(arn)?.partition ?? "";
