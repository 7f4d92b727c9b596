/**
 * What the end-to-end suites expect of a grant's events on the SQS path once an object is followed (see
 * followQueueEvent): the one batch from the grant's queue for its function, nothing for the outside key, and the
 * handler's answers to both.
 */
import type { QueueEventsPlan } from "../../modules/internal";
import { s3RecordsOf, type FollowedQueueEvent } from "../../scripts/lib/event-deliveries";

/**
 * The object under the event prefix reached the function once, in a batch its mapping took from the grant's queue;
 * the one outside, nothing. The handler read the message that tells of it (its object matching `read`) with no
 * failure, and reported that message failed in the same batch naming the outside key. Returns that message.
 */
export function expectQueueDelivery(
  followed: FollowedQueueEvent,
  plan: QueueEventsPlan,
  read: Record<string, unknown>,
): { readonly messageId: string; readonly body: string } {
  const { inside, delivered, deliveredOutside, answers } = followed;
  expect(deliveredOutside).toEqual([]);
  expect(delivered.map((d) => `${d.function} from ${d.eventSourceArn}`)).toEqual([
    `${plan.lambdaAccount.functionArn} from ${plan.lambdaAccount.queue.arn}`,
  ]);
  const message = delivered[0].event.Records.find((m) => s3RecordsOf(m.body).some((r) => r.key === inside))!;
  const answer = answers?.read as {
    batchItemFailures: unknown[];
    results: Array<{ messageId: string; objects: unknown[] }>;
  };
  expect(answer.batchItemFailures).toEqual([]);
  expect(answer.results.find((r) => r.messageId === message.messageId)?.objects).toEqual([
    expect.objectContaining({ operation: "object-created", key: inside, ...read }),
  ]);
  expect(answers?.refused).toMatchObject({ batchItemFailures: [{ itemIdentifier: message.messageId }] });
  return message;
}
