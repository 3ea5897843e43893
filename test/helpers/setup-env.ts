import { installLogCapture } from './log-capture';

// The pinned SDK prints a Node 20 support warning once per process; Lambda runs Node 22.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
installLogCapture();
