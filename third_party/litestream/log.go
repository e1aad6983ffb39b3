package litestream

const (
	LogKeySystem    = "system"
	LogKeySubsystem = "subsystem"
	LogKeyDB        = "db"
)

const (
	LogSystemStore  = "store"
	LogSystemServer = "server"
)

const (
	LogSubsystemCompactor = "compactor"
	LogSubsystemWALReader = "wal-reader"
)
