/**
 * Imported first by every local command. The AWS SDK release this project pins supports Node 20;
 * it warns (nine lines, once per process) that its releases after January 2027 will need Node 22.
 * The Lambdas run Node 22 already; on a Node 20 machine the warning says nothing the README does not,
 * so the local commands switch it off (the SDK's own switch). Set it to `false` to see it.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
