// Preloaded (`node --require`) into the command-line runs of cli.test.ts: on exit, writes the process's
// peak resident memory in bytes to $MCSC_PEAK_RSS_FILE. On Linux it reads VmHWM from /proc/self/status:
// getrusage's maxRSS survives execve, so a child forked from a large jest worker would report the
// worker's peak (seen: every run at the parent's 569 MiB); VmHWM belongs to the new address space.
const { readFileSync, writeFileSync } = require('node:fs');

function peakBytes() {
  try {
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (hwm) return Number(hwm[1]) * 1024;
  } catch {
    // not Linux: fall back to getrusage
  }
  return process.resourceUsage().maxRSS * 1024;
}

process.on('exit', () => {
  const file = process.env.MCSC_PEAK_RSS_FILE;
  if (file) writeFileSync(file, String(peakBytes()));
});
