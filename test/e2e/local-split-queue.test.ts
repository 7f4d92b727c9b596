/**
 * End to end in the local AWS emulator: the local-split-queue environment, the split layout on the SQS path (see
 * local-emulator.ts). Needs terraform and moto.
 */
import { endToEnd } from "./local-emulator";

endToEnd("local-split-queue");
