/** End to end in the local AWS emulator: the local environment (see local-emulator.ts). Needs terraform and moto. */
import { endToEnd } from "./local-emulator";

endToEnd("local");
