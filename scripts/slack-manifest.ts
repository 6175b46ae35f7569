/** Writes config/slack-manifest.yaml from the command registry: `npm run slack-manifest`. */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { renderSlackManifest } from "../src/bot/slack/render-slack-manifest.js";
import { COMMAND_SPECS } from "../src/handlers/registry.js";

const target = fileURLToPath(new URL("../config/slack-manifest.yaml", import.meta.url));
writeFileSync(target, renderSlackManifest(COMMAND_SPECS));
console.log(`wrote ${target}`);
