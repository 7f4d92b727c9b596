/** The platform's CDKTF app: `cdktf synth`, then `cdktf deploy datalake` and `cdktf deploy workloads`, each with its account's credentials. */
import { App } from "cdktf";
import { DatalakeStack, WorkloadsStack } from "./stacks";

const app = new App();
new WorkloadsStack(app, "workloads");
new DatalakeStack(app, "datalake");
app.synth();
