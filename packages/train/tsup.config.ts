import { packageBuild } from '../graph/tsup.config';

export default packageBuild({ entry: ['src/index.ts', 'src/cli/main.ts'] });
