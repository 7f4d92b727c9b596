/**
 * AWS-managed policies the proof knows without being told: the Lambda execution policies teams attach most, as AWS
 * documents them (AWS Managed Policy Reference). The simulator's data holds no managed policy documents; any other
 * managed policy a stack attaches without defining it must be given to the proof (--managed-policy ARN=FILE).
 */
import type { PolicyDocument } from "../core/policy-document";

export const KNOWN_MANAGED_POLICIES: Readonly<Record<string, PolicyDocument>> = {
  "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole": {
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Action: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"], Resource: "*" },
    ],
  },
  "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole": {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AWSLambdaVPCAccessExecutionPermissions",
        Effect: "Allow",
        Action: [
          "logs:CreateLogGroup",
          "logs:CreateLogStream",
          "logs:PutLogEvents",
          "ec2:CreateNetworkInterface",
          "ec2:DescribeNetworkInterfaces",
          "ec2:DescribeSubnets",
          "ec2:DeleteNetworkInterface",
          "ec2:AssignPrivateIpAddresses",
          "ec2:UnassignPrivateIpAddresses",
        ],
        Resource: "*",
      },
    ],
  },
};
