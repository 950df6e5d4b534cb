import DNSCore
import NIOCore
import NIOPosix
import NIOExtras
import Logging
import CoreMetrics
