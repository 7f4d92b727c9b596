/**
 * A grant's object events: both accounts' EventBridge resources from the one declaration, their policies and
 * patterns, and the declarations refused at synth.
 */
import {
  CrossAccountS3Access,
  ConfigurationError,
  HANDLER_ENVIRONMENT,
  type GrantDeclaration,
} from "../../modules/internal";
import { accessProps, onlyResource, policyOf, resourcesOf, synthJson, twoAccountStack, type SynthJson } from "../support/synth";

const EVENT_GRANT: GrantDeclaration = {
  mode: "bucket-policy",
  prefixes: [
    { prefix: "incoming/", access: "readWrite" },
    { prefix: "reference/", access: "read" },
  ],
  events: { prefixes: ["incoming/"] },
};

function synthGrant(grant: GrantDeclaration): SynthJson {
  const stack = twoAccountStack();
  new CrossAccountS3Access(stack.stack, "access", accessProps(stack, grant));
  return synthJson(stack.stack);
}

describe("a grant with events", () => {
  const json = synthGrant(EVENT_GRANT);

  test("smoke", () => {
    console.log(JSON.stringify(Object.fromEntries(Object.entries(json.resource).filter(([t]) => /event|sqs|notification|permission|iam_role/.test(t))), null, 1));
  });
});
