import { installLogCapture } from './log-capture';

// The pinned SDK prints a Node 20 support warning once per process (toolchain.md #10).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
installLogCapture();
