/**
 * The Lambda execution role's own policies, when the library creates the role: trusted by the Lambda service of its
 * account only, allowed to write its own function's log group, and, in a VPC, to manage its network interfaces.
 */
import { policyDocument, type PolicyDocument } from "../core/policy-document";
import { partitionOf } from "../core/regions";
import { LOGS_WRITE_ACTIONS, VPC_NETWORK_INTERFACE_ACTIONS } from "./actions";

/** The role's trust: the Lambda service, for functions of this account only (aws:SourceAccount). */
export function lambdaServiceTrust(accountId: string): PolicyDocument {
  return policyDocument([
    {
      Sid: "LambdaServiceAssumesRole",
      Effect: "Allow",
      Principal: { Service: "lambda.amazonaws.com" },
      Action: "sts:AssumeRole",
      Condition: { StringEquals: { "aws:SourceAccount": accountId } },
    },
  ]);
}

/** The execution role's logging permission: writing to its own function's log group only. */
export function loggingPolicy(region: string, accountId: string, functionName: string): PolicyDocument {
  const { partition } = partitionOf(region);
  const logGroupArn = `arn:${partition}:logs:${region}:${accountId}:log-group:/aws/lambda/${functionName}`;
  return policyDocument([
    { Sid: "WriteOwnLogs", Effect: "Allow", Action: [...LOGS_WRITE_ACTIONS], Resource: `${logGroupArn}:*` },
  ]);
}

/** What a function in a VPC needs of its role: its network interfaces (Lambda's AWSLambdaVPCAccessExecutionRole). */
export function vpcAccessPolicy(): PolicyDocument {
  return policyDocument([
    { Sid: "ManageOwnNetworkInterfaces", Effect: "Allow", Action: [...VPC_NETWORK_INTERFACE_ACTIONS], Resource: "*" },
  ]);
}
