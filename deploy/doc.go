// Package deploy holds the tests of install.sh, the script that installs,
// upgrades and uninstalls orengen as a systemd service on Debian and Ubuntu,
// and PRODUCTION.md, the operator's guide to it.
//
// The tests run the real script: into a directory tree with --root, and, when
// they run as root and may create a private mount namespace, against a
// throwaway copy of the machine with stand-ins for systemctl and the binary,
// through the full install, upgrade, rollback and uninstall path.
//
// deploy imports no package; its tests run install.sh itself.
package deploy
