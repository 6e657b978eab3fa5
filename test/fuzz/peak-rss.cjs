// Preloaded (`node --require`) into the command-line runs of cli.test.ts: on exit, writes the process's
// peak resident memory in bytes to $MCSC_PEAK_RSS_FILE.
const { writeFileSync } = require('node:fs');

process.on('exit', () => {
  const file = process.env.MCSC_PEAK_RSS_FILE;
  if (file) writeFileSync(file, String(process.resourceUsage().maxRSS * 1024));
});
