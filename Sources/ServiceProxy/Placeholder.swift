import NIOCore
import NIOPosix
import Logging
import ProxyRules
