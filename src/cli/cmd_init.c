#include "cli.h"

#include "alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char cmd_init_help[] =
    "usage: vmig init [DIR]\n"
    "\n"
    "Creates DIR/vmig.yaml (DIR defaults to the current directory) and\n"
    "DIR/migrations/.  Never overwrites: an existing vmig.yaml is an error and\n"
    "nothing is changed.\n";

static const char template_yaml[] =
    "# vmig configuration; every key is optional.\n"
    "# String values take ${VAR} and ${VAR:-default} from the environment.\n"
    "database_url: ${DATABASE_URL:-sqlite:///app.db}\n"
    "migrations_dir: migrations        # relative to this file's folder\n"
    "version_table: vmig_version\n"
    "# version_table_schema: public    # PostgreSQL only\n"
    "transaction_per_migration: true   # false: the whole run in one transaction\n"
    "lock_timeout: 60                  # seconds to wait for another runner\n"
    "wait_timeout: 30                  # seconds that --wait keeps trying to connect\n";

int cmd_init(cli_ctx *ctx, int argc, char **argv)
{
	const char *dir = NULL;
	for (int i = 0; i < argc; i++) {
		if (argv[i][0] == '-')
			return cli_usage_error(ctx, "unknown option %s", argv[i]);
		if (dir)
			return cli_usage_error(ctx, "one directory only");
		dir = argv[i];
	}
	if (!dir)
		dir = ".";
	if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
		vmig_error err;
		vmig_fail(&err, VMIG_ERR_RUNTIME, "%s: cannot create: %s", dir, strerror(errno));
		return cli_report(ctx, &err);
	}
	/* "vmig.yaml" rather than "./vmig.yaml" for the current directory */
	const char *pre = strcmp(dir, ".") == 0 ? "" : dir;
	const char *sep = *pre ? "/" : "";
	char *yaml = xasprintf("%s%svmig.yaml", pre, sep);
	char *mig = xasprintf("%s%smigrations", pre, sep);
	int rc = 0;
	vmig_error err;
	struct stat st;
	/* Check both before writing either: init does all of it or nothing. */
	if (stat(mig, &st) == 0 && !S_ISDIR(st.st_mode)) {
		vmig_fail(&err, VMIG_ERR_INPUT,
		          "%s: exists and is not a directory; nothing was changed", mig);
		free(yaml);
		free(mig);
		return cli_report(ctx, &err);
	}
	int fd = open(yaml, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		vmig_fail(&err, errno == EEXIST ? VMIG_ERR_INPUT : VMIG_ERR_RUNTIME,
		          "%s: %s; nothing was changed", yaml,
		          errno == EEXIST ? "already exists and is never overwritten"
		                          : strerror(errno));
		rc = cli_report(ctx, &err);
	} else {
		ssize_t len = (ssize_t)strlen(template_yaml);
		if (write(fd, template_yaml, (size_t)len) != len || close(fd) != 0) {
			unlink(yaml);
			vmig_fail(&err, VMIG_ERR_RUNTIME, "%s: cannot write", yaml);
			rc = cli_report(ctx, &err);
		} else {
			printf("%s\n", yaml);
		}
	}
	if (rc == 0 && mkdir(mig, 0777) == 0)
		printf("%s/\n", mig);
	else if (rc == 0 && errno != EEXIST) {
		vmig_fail(&err, VMIG_ERR_RUNTIME, "%s: cannot create: %s", mig, strerror(errno));
		rc = cli_report(ctx, &err);
	}
	free(yaml);
	free(mig);
	return rc;
}
