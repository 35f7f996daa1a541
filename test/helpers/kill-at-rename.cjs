// Preloaded into the CLI (NODE_OPTIONS=--require): SIGKILLs the process at the moment it
// would rename a written temp file over the token file, as the OOM killer or a power cut
// could. The pair is then complete in the temp file, and nowhere else.
const fs = require('node:fs');
const rename = fs.renameSync;
fs.renameSync = function renameSync(from, to) {
  if (String(from).endsWith('.tmp') && String(to) === process.env.HH_TOKEN_FILE) process.kill(process.pid, 'SIGKILL');
  return rename.apply(this, arguments);
};
