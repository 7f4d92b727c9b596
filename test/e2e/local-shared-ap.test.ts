/** End to end in the local AWS emulator: the local-shared-ap environment (see shared-bucket.ts). Needs terraform and moto. */
import { sharedEndToEnd } from "./shared-bucket";

sharedEndToEnd("local-shared-ap");
