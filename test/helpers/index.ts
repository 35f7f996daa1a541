/**
 * The test helpers, one entry point: every test imports from here ('../helpers' from
 * test/e2e, '../../helpers' from test/unit/<area>). Each file below holds one kind of
 * helper; a helper exists once, in one of them.
 */
export * from './constants'; // USER_AGENT, BROWSER_USER_AGENT, REDIRECT_URI
export * from './files'; // REPO_ROOT, BIN, TEST_BINARY, UNIT_COMMAND, CHECK_DIST_SCRIPT, PRELOAD (preloads for the CLI), SECCOMP_EXEC
export * from './cli'; // runCli: the built CLI as a process; captured; jsonOut, byName; bareEnv
export * from './live-cli'; // startCli: a long-running CLI (login) to wait on and signal
export * from './tty'; // runInTty: the CLI on a pseudo-terminal; shellQuote
export * from './workspace'; // useHarness: a sandbox per file, a workspace per test, the leak scan; cliEnv, runSecret, loginExpired
export * from './grants'; // the hh.ru side without the CLI: browserRedirect, browserCode, mintGrant, storeGrant, quickLogin, revokeAtSandbox, meAnswer, tokenPosts
export * from './token-files'; // writeTokenFile, fakePair (a record never issued), hoursFromNow, readJson
export * from './late-answer'; // lateTokenEndpoint: hh.ru's answer held back, to signal the CLI in between
export * from './sandboxes'; // useSandboxes and raw HTTP to an in-process sandbox (the sandbox's own tests)
export * from './secrets'; // findLeaks, trackSecrets, leakReport: the leak scan; fakeSecret
export * from './argv-watch'; // watchArgv: samples /proc/<pid>/cmdline of a process tree
export * from './tools'; // findTool, runsHere, skipUnless, requires; isRoot, NOBODY, AS_NOBODY, WITHOUT_PRIVILEGE and their probes; canMountTmpfs, usableGroup, runProgram
export * from './net'; // freePort, connectTo, startRecordingServer, httpRequest
export * from './nginx'; // startNginx, startCallbackProxy, renderSite, writeMainConf: a real nginx on loopback
export * from './doctor'; // useStandInCallback, writeSiteConf
export * from './temp'; // useTempDirs
export * from './time'; // sleep, waitForExpiry, waitUntilExpired
export * from './errors'; // thrownBy, errorCodeOf
export * from './second-user'; // secondUser: a real second local account (useradd) for the trust tests; Peer
export * from './local-users'; // localUser, localGroup, homeFor, runAs, canUseLocalUsers: real local users (useradd), acted as with setpriv
export * from './processes'; // deadProcess: the owner of a stale lock
export * from './browser'; // startChromium: a headless Chromium (puppeteer-core) for the login pages; CHROMIUM, artifactPath (test/artifacts/)
export * from './container'; // Container, containerSupport, NSPAWN_SCRIPT: a machine booted by a real systemd (test/system/nspawn.sh)
export * from './prometheus'; // parseMetrics: Prometheus's text format through a real parser, and the rules a scraper adds
export * from './postgres'; // startPostgres: a throwaway PostgreSQL cluster (initdb + pg_ctl as an unprivileged user), canRunPostgres, postgresBinDir
export * from './hosts'; // startHost, hostnameOn, canUseUtsNamespaces: a "host" in its own UTS namespace, for the multi-host suites
export * from './gate'; // gatedTokenEndpoint: grant requests held until the gate opens
export * from './pg-rows'; // locksLeft, waitingOnLocks, sessions: what the PostgreSQL server says about locks and sessions
export * from './pg-seed'; // mintGrants, seedProfiles, storedRows, initStoreSchema (the CLI's store init): profiles straight into the PostgreSQL store's table
export * from './dockerfile'; // parseDockerfile, instructionsOf, durationMs: the repository's Dockerfile as docker reads it (container-image suite)
