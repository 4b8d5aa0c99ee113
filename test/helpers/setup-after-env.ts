// jest setupFilesAfterEnv: every test file gets its own temporary directory and a console free of
// aws-cdk-lib's synth-time reports (test/helpers/test-env.ts).
import { installTestEnv } from './test-env';

installTestEnv();
