/* smsgate user create | list | remove | passwd: the people who sign in to the
 * console, on the store directly (no server needed). A password is read from
 * the terminal without echo (asked twice) or, with --password-stdin, as one
 * line of standard input; it is never printed or logged. Changes are audited
 * with the actor "cli". */
#include "api/auth.h"
#include "api/users.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "core/signin.h"
#include "util/password.h"
#include "util/time.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

typedef struct user_settings {
    sg_base_settings base;
    char email[SG_EMAIL_MAX];
    char role[16];
    bool password_stdin;
    bool json;
} user_settings;

#define S user_settings
#define PASSWORD_STDIN_OPT                                                                         \
    {                                                                                              \
        "password-stdin", NULL, NULL, SG_OPT_BOOL, offsetof(S, password_stdin), 0, NULL,           \
            "read the password as one line of standard input instead of asking on the terminal"    \
    }

static const sg_opt create_opts[] = {
    SG_BASE_OPTS(S),
    {"email", NULL, NULL, SG_OPT_STR, offsetof(S, email), sizeof(((S *)0)->email), "EMAIL",
     "the address the user signs in with (unique, any case)"},
    {"role", NULL, NULL, SG_OPT_STR, offsetof(S, role), sizeof(((S *)0)->role), "ROLE",
     "admin (everything), sender (send and read) or viewer (read only)"},
    PASSWORD_STDIN_OPT,
    SG_OPT_END,
};
static const sg_opt passwd_opts[] = {SG_BASE_OPTS(S), PASSWORD_STDIN_OPT, SG_OPT_END};
static const sg_opt list_opts[] = {
    SG_BASE_OPTS(S),
    {"json", NULL, NULL, SG_OPT_BOOL, offsetof(S, json), 0, NULL, "print JSON, as the API does"},
    SG_OPT_END,
};
static const sg_opt base_opts[] = {SG_BASE_OPTS(S), SG_OPT_END};
#undef S

static const sg_cmd_spec create_spec = {
    "smsgate user create --email EMAIL --role admin|sender|viewer [--password-stdin] [options]",
    "Create a console user. The password (12 to 1024 bytes) is asked twice on the\n"
    "terminal without echo, or read as one line of standard input with --password-stdin.\n"
    "Only its argon2id hash is stored. The new user's id is printed on stdout.",
    create_opts, 0, 0};
static const sg_cmd_spec list_spec = {
    "smsgate user list [--json] [options]",
    "List the console users, oldest first: id, role, email, when created and when\n"
    "they last signed in. Password hashes are never shown.",
    list_opts, 0, 0};
static const sg_cmd_spec remove_spec = {
    "smsgate user remove ID|EMAIL [options]",
    "Remove a console user and end their sessions. The last admin cannot be removed.", base_opts, 1,
    1};
static const sg_cmd_spec passwd_spec = {
    "smsgate user passwd ID|EMAIL [--password-stdin] [options]",
    "Set a console user's password (asked twice on the terminal without echo, or one\n"
    "line of standard input with --password-stdin). Their sessions end.",
    passwd_opts, 1, 1};

/* ---- reading a password --------------------------------------------------------------- */

/* One line of stdin into buf (cap bytes) without its line ending; false when
 * there is none or it is longer than cap - 2 bytes. */
static bool read_line(char *buf, size_t cap, size_t *len)
{
    if (!fgets(buf, (int)cap, stdin))
        return false;
    size_t n = strlen(buf);
    bool whole = n > 0 && buf[n - 1] == '\n';
    if (!whole && !feof(stdin))
        return false; /* longer than the buffer */
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    *len = n;
    return true;
}

/* Ask on the terminal with echo off. */
static bool prompt(const char *question, char *buf, size_t cap, size_t *len)
{
    struct termios old, quiet;
    bool tty = tcgetattr(STDIN_FILENO, &old) == 0;
    if (tty) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    fprintf(stderr, "%s", question);
    fflush(stderr);
    bool ok = read_line(buf, cap, len);
    if (tty)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    fprintf(stderr, "\n");
    return ok;
}

/* The new password into pw (SG_PASSWORD_MAX + 2 bytes): from stdin, or asked
 * twice on the terminal. Returns 0, or an exit code after one line on stderr. */
static int read_password(const char *command, bool from_stdin, char *pw, size_t cap, size_t *len)
{
    if (!from_stdin && !isatty(STDIN_FILENO))
        return sg_cli_usage_error(command, "no terminal to ask for the password on; pass "
                                           "--password-stdin and write it to standard input");
    bool ok = from_stdin ? read_line(pw, cap, len) : prompt("Password: ", pw, cap, len);
    if (ok && !from_stdin) {
        char again[SG_PASSWORD_MAX + 2];
        size_t again_len = 0;
        ok = prompt("Password again: ", again, sizeof again, &again_len);
        bool same = ok && again_len == *len && sodium_memcmp(again, pw, *len) == 0;
        sodium_memzero(again, sizeof again);
        if (ok && !same) {
            fprintf(stderr, "smsgate: the two passwords differ\n");
            return SG_EXIT_FAIL;
        }
    }
    if (!ok) {
        fprintf(stderr, "smsgate: no password read (at most %d bytes, on one line)\n",
                SG_PASSWORD_MAX);
        return SG_EXIT_FAIL;
    }
    sg_error e = {0};
    if (sg_password_check(pw, *len, &e) != SG_OK) {
        fprintf(stderr, "smsgate: %s\n", e.message);
        return SG_EXIT_FAIL;
    }
    return 0;
}

/* ---- verbs ---------------------------------------------------------------------------------- */

static int user_create(int argc, char **argv)
{
    user_settings st = {0};
    char **args;
    size_t nargs;
    int rc = sg_opts_parse(&create_spec, &st, argc, argv, &args, &nargs);
    if (rc)
        return rc < 0 ? SG_EXIT_OK : rc;
    free(args);
    sg_role role;
    if (!st.email[0])
        return sg_cli_usage_error(argv[0], "--email is required");
    if (!sg_email_valid(st.email))
        return sg_cli_usage_error(argv[0], "--email must be an address such as "
                                           "ann@example.org (at most 254 bytes)");
    if (!st.role[0] || !sg_role_parse(st.role, &role))
        return sg_cli_usage_error(argv[0], "--role must be admin, sender or viewer");
    char pw[SG_PASSWORD_MAX + 2];
    size_t pw_len = 0;
    sg_user u;
    sg_error e = {0};
    sg_app app;
    bool opened = false;
    if ((rc = read_password(argv[0], st.password_stdin, pw, sizeof pw, &pw_len)))
        goto out;
    if (sg_user_prepare(st.email, st.role, pw, pw_len, sg_time_now_ms(), &u, &e) != SG_OK) {
        fprintf(stderr, "smsgate: %s\n", e.message);
        rc = SG_EXIT_FAIL;
        goto out;
    }
    if ((rc = sg_cli_open(&st.base, NULL, true, &app)))
        goto out;
    opened = true;
    sg_actor by = {"cli", "", u.created_at};
    if (sg_store_user_insert(app.store, &u, &by, &e) != SG_OK) {
        fprintf(stderr, "smsgate: cannot create the user: %s\n", e.message);
        rc = SG_EXIT_FAIL;
        goto out;
    }
    fprintf(stderr, "created %s user %s (%s)\n", u.role, u.id, u.email);
    printf("%s\n", u.id);
out:
    sodium_memzero(pw, sizeof pw);
    sodium_memzero(u.password_hash, sizeof u.password_hash);
    if (opened)
        sg_app_close(&app);
    return rc;
}

static int user_list(int argc, char **argv)
{
    user_settings st = {0};
    char **args;
    size_t nargs;
    int rc = sg_opts_parse(&list_spec, &st, argc, argv, &args, &nargs);
    if (rc)
        return rc < 0 ? SG_EXIT_OK : rc;
    free(args);
    sg_app app;
    if ((rc = sg_cli_open(&st.base, NULL, false, &app)))
        return rc;
    sg_user *rows = NULL;
    size_t n = 0;
    sg_err err = sg_store_user_list(app.store, &rows, &n);
    sg_app_close(&app);
    if (err) {
        fprintf(stderr, "smsgate: cannot list the users: %s\n", sg_strerror(err));
        return SG_EXIT_FAIL;
    }
    if (st.json) {
        json_t *data = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(data, sg_user_json(&rows[i]));
        sg_cli_print_json(data);
    } else {
        printf("%-30s %-6s %-24s %-24s %s\n", "ID", "ROLE", "CREATED", "LAST_SIGN_IN", "EMAIL");
        for (size_t i = 0; i < n; i++) {
            char created[SG_TIME_STR_MAX], signed_in[SG_TIME_STR_MAX];
            printf("%-30s %-6s %-24s %-24s %s\n", rows[i].id, rows[i].role,
                   sg_cli_time(rows[i].created_at, created),
                   sg_cli_time(rows[i].last_sign_in_at, signed_in), rows[i].email);
        }
    }
    free(rows);
    return SG_EXIT_OK;
}

/* The user named on the command line (id or email) into *u; an exit code after
 * one line on stderr when there is none. */
static int find_user(sg_app *app, const char *id_or_email, sg_user *u)
{
    sg_err err = sg_store_user_get(app->store, id_or_email, u);
    sodium_memzero(u->password_hash, sizeof u->password_hash);
    if (err == SG_ERR_NOT_FOUND) {
        fprintf(stderr, "smsgate: no user %.64s (see 'smsgate user list')\n", id_or_email);
        return SG_EXIT_FAIL;
    }
    if (err) {
        fprintf(stderr, "smsgate: cannot read the user: %s\n", sg_strerror(err));
        return SG_EXIT_FAIL;
    }
    return 0;
}

static int user_remove(int argc, char **argv)
{
    user_settings st = {0};
    char **args;
    size_t nargs;
    int rc = sg_opts_parse(&remove_spec, &st, argc, argv, &args, &nargs);
    if (rc)
        return rc < 0 ? SG_EXIT_OK : rc;
    sg_app app;
    if ((rc = sg_cli_open(&st.base, NULL, false, &app))) {
        free(args);
        return rc;
    }
    sg_user u;
    sg_error e = {0};
    if (!(rc = find_user(&app, args[0], &u))) {
        sg_actor by = {"cli", "", sg_time_now_ms()};
        if (sg_store_user_delete(app.store, u.id, &by, &e) != SG_OK) {
            fprintf(stderr, "smsgate: cannot remove %s: %s\n", u.email, e.message);
            rc = SG_EXIT_FAIL;
        } else {
            fprintf(stderr, "removed %s (%s)\n", u.id, u.email);
        }
    }
    free(args);
    sg_app_close(&app);
    return rc;
}

static int user_passwd(int argc, char **argv)
{
    user_settings st = {0};
    char **args;
    size_t nargs;
    int rc = sg_opts_parse(&passwd_spec, &st, argc, argv, &args, &nargs);
    if (rc)
        return rc < 0 ? SG_EXIT_OK : rc;
    char pw[SG_PASSWORD_MAX + 2], hash[SG_PWHASH_MAX] = "";
    size_t pw_len = 0;
    sg_app app;
    bool opened = false;
    sg_user u;
    if ((rc = sg_cli_open(&st.base, NULL, false, &app)))
        goto out;
    opened = true;
    if ((rc = find_user(&app, args[0], &u)) ||
        (rc = read_password(argv[0], st.password_stdin, pw, sizeof pw, &pw_len)))
        goto out;
    if (sg_password_hash(pw, pw_len, hash) != SG_OK) {
        fprintf(stderr, "smsgate: not enough memory to hash the password\n");
        rc = SG_EXIT_FAIL;
        goto out;
    }
    sg_user_change ch = {NULL, hash};
    sg_actor by = {"cli", "", sg_time_now_ms()};
    sg_error e = {0};
    if (sg_store_user_update(app.store, u.id, &ch, &by, NULL, &e) != SG_OK) {
        fprintf(stderr, "smsgate: cannot change the password: %s\n", e.message);
        rc = SG_EXIT_FAIL;
        goto out;
    }
    fprintf(stderr, "password of %s (%s) changed; their sessions have ended\n", u.id, u.email);
out:
    sodium_memzero(pw, sizeof pw);
    sodium_memzero(hash, sizeof hash);
    free(args);
    if (opened)
        sg_app_close(&app);
    return rc;
}

static const sg_command user_verbs[] = {
    {"create", "create a console user", user_create},
    {"list", "list the console users (no password hashes)", user_list},
    {"remove", "remove a user by id or email", user_remove},
    {"passwd", "set a user's password", user_passwd},
    {NULL, NULL, NULL},
};

int sg_cmd_user(int argc, char **argv)
{
    return sg_cli_verbs("smsgate user create|list|remove|passwd [ARGS] [options]", user_verbs, argc,
                        argv);
}
