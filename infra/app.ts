import { buildApp } from './build-app.js';

/** `cdk synth` / `cdk deploy` entry point (cdk.json). */
buildApp().synth();
