import { z } from "zod";
import {
  accountIdSchema,
  ConfigurationError,
  externalIdSchema,
  LOG_RETENTION_DAYS,
  logRetentionSchema,
  parseOrThrow,
  partitionOf,
  prefixSchema,
  regionSchema,
  roleArnSchema,
  showValue,
} from "../../modules/internal";

function problemsOf(schema: z.ZodType, value: unknown, root?: string): readonly string[] {
  try {
    parseOrThrow(schema, value, root);
  } catch (error) {
    if (error instanceof ConfigurationError) return error.problems;
    throw error;
  }
  throw new Error(`expected ${showValue(value)} to be refused`);
}

describe("ConfigurationError", () => {
  test("one problem is the whole message", () => {
    const error = new ConfigurationError(['cfg.a "x" is bad']);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("ConfigurationError");
    expect(error.message).toBe('cfg.a "x" is bad');
    expect(error.problems).toEqual(['cfg.a "x" is bad']);
  });

  test("several problems are listed one per line", () => {
    const error = new ConfigurationError(["first problem", "second problem"]);
    expect(error.message).toBe("invalid configuration:\n  - first problem\n  - second problem");
    expect(error.problems).toEqual(["first problem", "second problem"]);
  });
});

describe("showValue", () => {
  test.each([
    ["a string, quoted", "abc", '"abc"'],
    ["a number", 42, "42"],
    ["a boolean", false, "false"],
    ["null", null, "null"],
    ["undefined", undefined, "undefined"],
    ["an object, as compact JSON", { a: [1, "b"] }, '{"a":[1,"b"]}'],
    ["an array", [], "[]"],
    ["a quote inside a string, escaped", 'a"b', '"a\\"b"'],
  ])("renders %s", (_name, value, shown) => {
    expect(showValue(value)).toBe(shown);
  });

  test("cuts anything longer than 120 characters to 117 and an ellipsis", () => {
    expect(showValue("x".repeat(118))).toBe(`"${"x".repeat(118)}"`);
    expect(showValue("x".repeat(119))).toBe(`"${"x".repeat(116)}...`);
    expect(showValue("x".repeat(119))).toHaveLength(120);
  });
});

describe("parseOrThrow", () => {
  const settings = z.strictObject({
    accountId: accountIdSchema,
    region: regionSchema,
    retention: logRetentionSchema.optional(),
  });

  test("returns the parsed value", () => {
    expect(parseOrThrow(settings, { accountId: "123456789012", region: "us-east-1" }, "cfg")).toEqual({
      accountId: "123456789012",
      region: "us-east-1",
    });
  });

  test("formats a problem as <root>.<field> <JSON value> <reason>", () => {
    expect(problemsOf(settings, { accountId: "12345", region: "us-east-1" }, "cfg")).toEqual([
      'cfg.accountId "12345" is not an AWS account ID (12 digits)',
    ]);
    expect(problemsOf(settings, { accountId: "123456789012", region: "us-east-1", retention: 10 }, "cfg")).toEqual([
      `cfg.retention 10 is not a CloudWatch Logs retention (one of ${LOG_RETENTION_DAYS.join(", ")})`,
    ]);
  });

  test("names list items by index and nested fields by dots", () => {
    const nested = z.strictObject({ items: z.array(z.strictObject({ accountId: accountIdSchema })) });
    expect(problemsOf(nested, { items: [{ accountId: "123456789012" }, { accountId: "x" }] }, "cfg")).toEqual([
      'cfg.items[1].accountId "x" is not an AWS account ID (12 digits)',
    ]);
    expect(problemsOf(nested, { items: [{ accountId: "x" }] })).toEqual([
      'items[0].accountId "x" is not an AWS account ID (12 digits)',
    ]);
  });

  test("names the value itself by the root, or (root) without one", () => {
    expect(problemsOf(accountIdSchema, "x", "bucket.accountId")).toEqual([
      'bucket.accountId "x" is not an AWS account ID (12 digits)',
    ]);
    expect(problemsOf(accountIdSchema, "x")).toEqual(['(root) "x" is not an AWS account ID (12 digits)']);
  });

  test('a missing field "is required"', () => {
    expect(problemsOf(settings, { region: "us-east-1" }, "cfg")).toEqual(["cfg.accountId is required"]);
    expect(problemsOf(settings, {}, "cfg")).toEqual(["cfg.accountId is required", "cfg.region is required"]);
  });

  test('a custom issue whose message starts with "is required" is shown without a value', () => {
    const conditional = z.object({ a: z.string().optional() }).superRefine((v, ctx) => {
      if (v.a === undefined)
        ctx.addIssue({ code: "custom", path: ["a"], input: v.a, message: "is required when b is set" });
    });
    expect(problemsOf(conditional, {}, "cfg")).toEqual(["cfg.a is required when b is set"]);
  });

  test("unknown fields of a strict object are named", () => {
    expect(
      problemsOf(settings, { accountId: "123456789012", region: "us-east-1", acount: "x", extra: 1 }, "cfg"),
    ).toEqual(['cfg has unknown field(s) "acount", "extra"']);
  });

  test("several problems are joined in one ConfigurationError", () => {
    const make = () => parseOrThrow(settings, { accountId: 123456789012, region: "US-EAST-1", retention: "30" }, "cfg");
    const expected = [
      "cfg.accountId 123456789012 must be a string",
      'cfg.region "US-EAST-1" is not an AWS region name the AWS provider 5.100.0 knows (e.g. us-east-1; did you mean "us-east-1"?)',
      'cfg.retention "30" must be a number',
    ];
    expect(make).toThrow(ConfigurationError);
    expect(make).toThrow(`invalid configuration:\n  - ${expected.join("\n  - ")}`);
    expect(problemsOf(settings, { accountId: 123456789012, region: "US-EAST-1", retention: "30" }, "cfg")).toEqual(
      expected,
    );
  });

  test("a long value is shown cut", () => {
    const long = "a".repeat(1225);
    expect(problemsOf(externalIdSchema, long, "grant.externalId")).toEqual([
      `grant.externalId "${"a".repeat(116)}... is not a valid ExternalId (2-1224 of letters, digits and + = , . @ : / _ -)`,
    ]);
  });
});

describe("accountIdSchema", () => {
  test.each(["123456789012", "000000000000"])("accepts %j", (id) => {
    expect(parseOrThrow(accountIdSchema, id)).toBe(id);
  });

  test.each([
    ["11 digits", "12345678901", '"12345678901" is not an AWS account ID (12 digits)'],
    ["13 digits", "1234567890123", '"1234567890123" is not an AWS account ID (12 digits)'],
    ["letters", "12345678901a", '"12345678901a" is not an AWS account ID (12 digits)'],
    ["a number instead of a string", 123456789012, "123456789012 must be a string"],
    ["dashes", "1234-5678-9012", '"1234-5678-9012" is not an AWS account ID (12 digits)'],
  ])("refuses %s", (_name, value, problem) => {
    expect(problemsOf(accountIdSchema, value, "accountId")).toEqual([`accountId ${problem}`]);
  });
});

describe("regionSchema", () => {
  test.each(["us-east-1", "eu-central-1", "us-gov-west-1", "cn-north-1", "ap-southeast-2", "il-central-1"])(
    "accepts %j",
    (region) => {
      expect(parseOrThrow(regionSchema, region)).toBe(region);
    },
  );

  test.each(["us-east", "useast1", "us-east-1a", "xx-east-1", "", "eu-fake-9", "ap-southeast-6"])(
    "refuses %j",
    (region) => {
      expect(problemsOf(regionSchema, region, "region")).toEqual([
        `region ${JSON.stringify(region)} is not an AWS region name the AWS provider 5.100.0 knows (e.g. us-east-1)`,
      ]);
    },
  );

  test.each([
    ["US-EAST-1", "us-east-1"],
    [" eu_west_1 ", "eu-west-1"],
  ])("refuses %j and suggests %j", (region, near) => {
    expect(problemsOf(regionSchema, region, "region")).toEqual([
      `region ${JSON.stringify(region)} is not an AWS region name the AWS provider 5.100.0 knows (e.g. us-east-1; did you mean "${near}"?)`,
    ]);
  });
});

describe("roleArnSchema", () => {
  test.each([
    "arn:aws:iam::123456789012:role/consumer",
    "arn:aws:iam::123456789012:role/service-role/team/consumer",
    "arn:aws-cn:iam::123456789012:role/consumer",
    "arn:aws-us-gov:iam::123456789012:role/consumer",
  ])("accepts %j", (arn) => {
    expect(parseOrThrow(roleArnSchema, arn)).toBe(arn);
  });

  test.each([
    ["a user ARN", "arn:aws:iam::123456789012:user/alice"],
    ["a missing account", "arn:aws:iam:::role/consumer"],
    ["a short account", "arn:aws:iam::12345:role/consumer"],
    ["an unknown partition", "arn:aws-xx:iam::123456789012:role/consumer"],
    ["a trailing slash", "arn:aws:iam::123456789012:role/consumer/"],
    ["a role name of 65 characters", `arn:aws:iam::123456789012:role/${"r".repeat(65)}`],
  ])("refuses %s", (_name, arn) => {
    expect(problemsOf(roleArnSchema, arn, "roleArn")).toEqual([
      `roleArn ${showValue(arn)} is not an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>)`,
    ]);
  });
});

describe("externalIdSchema", () => {
  const REASON = "is not a valid ExternalId (2-1224 of letters, digits and + = , . @ : / _ -)";

  test.each(["ab", "x".repeat(1224), "Ext_id+=,.@:/-1"])("accepts %j", (id) => {
    expect(parseOrThrow(externalIdSchema, id)).toBe(id);
  });

  test.each([
    ["1 character", "a"],
    ["1225 characters", "x".repeat(1225)],
    ["a space", "ext id"],
    ["a quote", 'ext"id'],
  ])("refuses %s", (_name, id) => {
    expect(problemsOf(externalIdSchema, id, "externalId")).toEqual([`externalId ${showValue(id)} ${REASON}`]);
  });
});

describe("prefixSchema", () => {
  test.each(["incoming/", "a/b/c/", "reports-2024/", "x".repeat(511) + "/", "with space/", "a$b/"])(
    "accepts %j",
    (prefix) => {
      expect(parseOrThrow(prefixSchema, prefix)).toBe(prefix);
    },
  );

  test.each([
    ["empty", "", 'it is empty (name a folder such as "incoming/")'],
    ["513 characters", "x".repeat(512) + "/", "it is longer than 512 characters"],
    ["starting with /", "/data/", 'it must not start with "/" (keys are relative to the bucket root)'],
    ["with *", "data/*/", "it must not contain the wildcards * or ?"],
    ["with ?", "dat?/", "it must not contain the wildcards * or ?"],
    [
      "with a policy variable",
      "${aws:username}/",
      'it must not contain "${" or "%{" (a policy variable or Terraform template sequence)',
    ],
    ["with an empty folder", "a//b/", 'it must not contain an empty folder ("//")'],
    ["with a control character", "a\u0001b/", "it must not contain control characters, quotes or backslashes"],
    ["with a DEL character", "a\u007fb/", "it must not contain control characters, quotes or backslashes"],
    ["with a newline", "a\nb/", "it must not contain control characters, quotes or backslashes"],
    ["with a quote", 'a"b/', "it must not contain control characters, quotes or backslashes"],
    ["with a backslash", "a\\b/", "it must not contain control characters, quotes or backslashes"],
    ["without a trailing /", "logs", 'it must end with "/" (did you mean "logs/"?)'],
  ])("refuses a prefix %s", (_name, prefix, reason) => {
    expect(problemsOf(prefixSchema, prefix, "prefix")).toEqual([
      `prefix ${showValue(prefix)} is not a valid prefix: ${reason}`,
    ]);
  });

  test("refuses a non-string", () => {
    expect(problemsOf(prefixSchema, 7, "prefix")).toEqual(["prefix 7 must be a string"]);
  });
});

describe("logRetentionSchema", () => {
  test("accepts every retention CloudWatch Logs offers", () => {
    for (const days of LOG_RETENTION_DAYS) expect(parseOrThrow(logRetentionSchema, days)).toBe(days);
    expect(LOG_RETENTION_DAYS).toHaveLength(22);
  });

  test.each([0, 2, 10, 31, 3654, 30.5, -1])("refuses %j", (days) => {
    expect(problemsOf(logRetentionSchema, days, "days")).toEqual([
      `days ${days} is not a CloudWatch Logs retention (one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)`,
    ]);
  });

  test("refuses a string", () => {
    expect(problemsOf(logRetentionSchema, "30", "days")).toEqual(['days "30" must be a number']);
  });
});

describe("partitionOf", () => {
  test.each([
    ["us-east-1", "aws", "amazonaws.com"],
    ["eu-central-1", "aws", "amazonaws.com"],
    ["cn-north-1", "aws-cn", "amazonaws.com.cn"],
    ["cn-northwest-1", "aws-cn", "amazonaws.com.cn"],
    ["us-gov-west-1", "aws-us-gov", "amazonaws.com"],
    ["us-gov-east-1", "aws-us-gov", "amazonaws.com"],
  ])("%s is in %s (%s)", (region, partition, dnsSuffix) => {
    expect(partitionOf(region)).toEqual({ partition, dnsSuffix });
  });
});

describe("values JSON cannot render still give a ConfigurationError naming the field", () => {
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  test.each<[string, unknown, string]>([
    ["a bigint", 123456789012n, "accountId 123456789012n must be a string"],
    ["a function", () => "1", "accountId <function> must be a string"],
    ["a symbol", Symbol("id"), "accountId <symbol> must be a string"],
    ["a circular object", circular, "accountId <Object> must be a string"],
  ])("%s", (_name, value, message) => {
    expect(() => parseOrThrow(accountIdSchema, value, "accountId")).toThrow(ConfigurationError);
    expect(() => parseOrThrow(accountIdSchema, value, "accountId")).toThrow(message);
  });

  test('a prefix with the Terraform template sequence "%{" is refused, as "${" is', () => {
    expect(() => parseOrThrow(prefixSchema, "reports%{ if false }x%{ endif }/", "prefix")).toThrow(
      'prefix "reports%{ if false }x%{ endif }/" is not a valid prefix: it must not contain "${" or "%{"',
    );
  });
});
