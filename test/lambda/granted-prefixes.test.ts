/**
 * The handler refuses, before calling AWS, every request the grant (GRANTED_PREFIXES) does not cover, and lets
 * through every request it does; the rules mirror the policies the stack writes from the same declaration.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { HandlerError, NotGrantedError } from "../../lambda/src/errors";
import { isGranted, permits, prefixesWith, type GrantedPrefix } from "../../lambda/src/granted-prefixes";
import { createHandler } from "../../lambda/src/handler";
import { assumeRoleConfig, BUCKET, bucketPolicyConfig, GRANTS, memoryLogger, objectBody, REGION } from "./helpers";

function setup() {
  const s3 = new S3Client({ region: REGION, credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret" } });
  const s3Mock = mockClient(s3);
  s3Mock.on(GetObjectCommand).callsFake(() => Promise.resolve({ Body: objectBody("data"), ContentLength: 4 }));
  s3Mock.on(PutObjectCommand).resolves({});
  s3Mock.on(ListObjectsV2Command).resolves({});
  s3Mock.on(DeleteObjectCommand).resolves({});
  const logger = memoryLogger();
  return { s3Mock, logger, handler: createHandler(bucketPolicyConfig, { s3, logger }) };
}

describe("permits", () => {
  const grant = (access: GrantedPrefix["access"], del = false): GrantedPrefix => ({
    prefix: "p/",
    access,
    delete: del,
  });

  test.each([
    ["read", false, { read: true, write: false, delete: false }],
    ["write", false, { read: false, write: true, delete: false }],
    ["readWrite", false, { read: true, write: true, delete: false }],
    ["read", true, { read: true, write: false, delete: true }],
    ["write", true, { read: false, write: true, delete: true }],
  ] as const)("%s with delete %s", (access, del, expected) => {
    const g = grant(access, del);
    expect({ read: permits(g, "read"), write: permits(g, "write"), delete: permits(g, "delete") }).toEqual(expected);
  });

  test("a path is granted only under a prefix that gives the permission, matched as a plain string prefix", () => {
    expect(isGranted(GRANTS, "incoming/a/b.txt", "write")).toBe(true);
    expect(isGranted(GRANTS, "incoming/", "read")).toBe(true);
    expect(isGranted(GRANTS, "incoming", "read")).toBe(false);
    expect(isGranted(GRANTS, "incomingx/a", "read")).toBe(false);
    expect(isGranted(GRANTS, "reference/a", "write")).toBe(false);
    expect(isGranted(GRANTS, "uploads/a", "read")).toBe(false);
    expect(isGranted(GRANTS, "scratch/a", "delete")).toBe(true);
    expect(isGranted(GRANTS, "", "read")).toBe(false);
    expect(prefixesWith(GRANTS, "read")).toEqual(["incoming/", "reference/", "scratch/"]);
    expect(prefixesWith(GRANTS, "write")).toEqual(["incoming/", "uploads/", "scratch/"]);
    expect(prefixesWith(GRANTS, "delete")).toEqual(["scratch/"]);
  });

  test("overlapping prefixes add up, as policy statements do", () => {
    const grants: GrantedPrefix[] = [
      { prefix: "data/", access: "read", delete: false },
      { prefix: "data/out/", access: "write", delete: false },
    ];
    expect(isGranted(grants, "data/out/x", "write")).toBe(true);
    expect(isGranted(grants, "data/out/x", "read")).toBe(true);
    expect(isGranted(grants, "data/in/x", "write")).toBe(false);
  });
});

describe("requests outside the grant are refused before AWS is called", () => {
  // [event, allowed]: the whole matrix of operations against read, write-only, readWrite+delete and ungranted keys.
  const matrix: Array<[Record<string, unknown>, boolean]> = [
    [{ operation: "get", key: "incoming/a" }, true],
    [{ operation: "get", key: "reference/a" }, true],
    [{ operation: "get", key: "uploads/a" }, false],
    [{ operation: "get", key: "elsewhere/a" }, false],
    [{ operation: "put", key: "incoming/a", body: "x" }, true],
    [{ operation: "put", key: "uploads/a", body: "x" }, true],
    [{ operation: "put", key: "reference/a", body: "x" }, false],
    [{ operation: "put", key: "elsewhere/a", body: "x" }, false],
    [{ operation: "list", prefix: "incoming/" }, true],
    [{ operation: "list", prefix: "reference/deeper/" }, true],
    [{ operation: "list", prefix: "uploads/" }, false],
    [{ operation: "list", prefix: "incom" }, false],
    [{ operation: "list" }, false],
    [{ operation: "delete", key: "scratch/a" }, true],
    [{ operation: "delete", key: "incoming/a" }, false],
    [{ operation: "delete", key: "reference/a" }, false],
    [{ operation: "presign-get", key: "reference/a" }, true],
    [{ operation: "presign-get", key: "uploads/a" }, false],
    [{ operation: "presign-put", key: "uploads/a" }, true],
    [{ operation: "presign-put", key: "reference/a" }, false],
    [{ operation: "copy", sourceKey: "reference/a", key: "incoming/a" }, true],
    [{ operation: "copy", sourceKey: "incoming/a", key: "reference/a" }, false],
    [{ operation: "copy", sourceKey: "uploads/a", key: "incoming/a" }, false],
    [{ operation: "copy", sourceKey: "elsewhere/a", key: "elsewhere/b" }, false],
  ];

  test.each(matrix)("%j allowed: %s", async (event, allowed) => {
    const { s3Mock, handler, logger } = setup();

    const outcome = await handler(event).then(
      () => "allowed",
      (error: Error) => error,
    );

    if (allowed) {
      expect(outcome).toBe("allowed");
      expect(logger.parsed()[0]).toMatchObject({ outcome: "success", operation: event.operation });
    } else {
      expect(outcome).toBeInstanceOf(NotGrantedError);
      expect(outcome).toBeInstanceOf(HandlerError);
      expect(s3Mock.calls()).toHaveLength(0);
      expect(logger.parsed()[0]).toMatchObject({ outcome: "error", errorType: "NotGrantedError" });
    }
  });

  test("the error says what is needed where, and where the grant gives it", async () => {
    const { handler } = setup();

    const error = (await handler({ operation: "put", key: "reference/x.txt", body: "x" }).catch(
      (e: unknown) => e,
    )) as NotGrantedError;

    expect(error.name).toBe("NotGrantedError");
    expect(error.message).toBe(
      `Not granted: put needs write access to s3://${BUCKET}/reference/x.txt, and the function's grant (GRANTED_PREFIXES) ` +
        "gives write access only under incoming/, uploads/, scratch/. The request was refused before calling AWS.",
    );
    expect(error).toMatchObject({
      operation: "put",
      bucket: BUCKET,
      path: "reference/x.txt",
      permission: "write",
      grantedPrefixes: ["incoming/", "uploads/", "scratch/"],
    });
  });

  test("a list names the prefix, or the whole bucket", async () => {
    const { handler } = setup();

    const other = (await handler({ operation: "list", prefix: "uploads/" }).catch((e: unknown) => e)) as Error;
    const whole = (await handler({ operation: "list" }).catch((e: unknown) => e)) as Error;

    expect(other.message).toBe(
      `Not granted: list needs read access to the prefix "uploads/" of s3://${BUCKET} (list), and the function's grant ` +
        "(GRANTED_PREFIXES) gives read access only under incoming/, reference/, scratch/. The request was refused before calling AWS.",
    );
    expect(whole.message).toContain(
      `list needs read access to the whole bucket s3://${BUCKET} (list without a prefix)`,
    );
  });

  test("a copy names the side that is not granted", async () => {
    const { handler } = setup();

    const source = (await handler({ operation: "copy", sourceKey: "uploads/a", key: "incoming/a" }).catch(
      (e: unknown) => e,
    )) as Error;
    const destination = (await handler({ operation: "copy", sourceKey: "incoming/a", key: "reference/a" }).catch(
      (e: unknown) => e,
    )) as Error;

    expect(source.message).toContain(`copy needs read access to s3://${BUCKET}/uploads/a (the source)`);
    expect(destination.message).toContain(`copy needs write access to s3://${BUCKET}/reference/a (the destination)`);
  });

  test("a permission granted nowhere is said so", async () => {
    const s3 = new S3Client({ region: REGION, credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret" } });
    const handler = createHandler(
      { ...assumeRoleConfig, grants: [{ prefix: "uploads/", access: "write", delete: false }] },
      { s3, logger: memoryLogger() },
    );

    const error = (await handler({ operation: "get", key: "uploads/a" }).catch((e: unknown) => e)) as Error;

    expect(error.message).toContain("gives read access under no prefix.");
  });
});
