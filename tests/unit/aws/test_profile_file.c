/*
 * Tests of the shared config/credentials file parser: section kinds in each file, comments,
 * whitespace, continuation lines and nested sub-properties, case-insensitive keys, later values
 * winning, malformed lines reported with file and line, and the loader's path and profile choice.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "aws/profile_file.h"
#include "base/platform.h"
#include "fakes.h"

static void parse(sa_aws_profile_file *f, const char *text, sa_aws_profile_file_kind kind)
{
    sa_error err = {0};
    if (sa_aws_profile_file_parse(f, text, strlen(text), kind, "test", &err) != SA_OK)
        fail_msg("parse failed: %s", err.message);
}

static const char *get(const sa_aws_profile_file *f, const char *profile, const char *key)
{
    return sa_aws_profile_get(sa_aws_profile_file_find(f, profile), key);
}

static void test_config_file_sections(void **state)
{
    sa_aws_profile_file f = {0};
    (void)state;
    parse(&f,
          "; leading comment\n"
          "[default]\n"
          "region = us-east-1\n"
          "\n"
          "[profile dev]   # trailing comment\n"
          "  region=eu-west-1  \n"
          "AWS_Access_Key_ID = AKIA_DEV ; inline comment\n"
          "aws_secret_access_key = abc#def\n"
          "[ profile   spaced ]\n"
          "region = ap-south-1\n"
          "[sso-session corp]\n"
          "sso_region = us-east-1\n"
          "[bare]\n"
          "region = nowhere\n"
          "[profile default]\n"
          "output = json\n",
          SA_AWS_PROFILE_FILE_CONFIG);
    assert_string_equal(get(&f, "default", "region"), "us-east-1");
    assert_string_equal(get(&f, "default", "output"), "json");
    /* "  region=..." right after a section header is a property, not a continuation */
    assert_string_equal(get(&f, "dev", "region"), "eu-west-1");
    assert_string_equal(get(&f, "dev", "aws_access_key_id"), "AKIA_DEV");
    assert_string_equal(get(&f, "dev", "aws_secret_access_key"), "abc#def");
    assert_string_equal(get(&f, "spaced", "region"), "ap-south-1");
    assert_null(sa_aws_profile_file_find(&f, "corp"));
    assert_null(sa_aws_profile_file_find(&f, "sso-session corp"));
    assert_null(sa_aws_profile_file_find(&f, "bare"));
    sa_aws_profile_file_dispose(&f);
}

static void test_sso_session_sections(void **state)
{
    sa_aws_profile_file f = {0};
    (void)state;
    parse(&f,
          "[profile corp]\n"
          "sso_session = corp\n"
          "[sso-session corp]\n"
          "sso_start_url = https://corp.awsapps.com/start\n"
          "sso_region = eu-west-1\n"
          "[ sso-session   spaced  ]\n"
          "sso_region = us-east-1\n"
          "[sso-sessionx]\n"
          "sso_region = nowhere\n"
          "[sso-session corp]\n"
          "sso_registration_scopes = sso:account:access\n",
          SA_AWS_PROFILE_FILE_CONFIG);
    /* the profile and the session of the same name are two sections */
    assert_string_equal(get(&f, "corp", "sso_session"), "corp");
    assert_null(get(&f, "corp", "sso_region"));
    assert_string_equal(
        sa_aws_profile_get(sa_aws_profile_file_find_sso_session(&f, "corp"), "sso_start_url"),
        "https://corp.awsapps.com/start");
    assert_string_equal(
        sa_aws_profile_get(sa_aws_profile_file_find_sso_session(&f, "corp"), "sso_region"),
        "eu-west-1");
    /* a repeated section header adds to the same section */
    assert_string_equal(sa_aws_profile_get(sa_aws_profile_file_find_sso_session(&f, "corp"),
                                           "sso_registration_scopes"),
                        "sso:account:access");
    assert_string_equal(
        sa_aws_profile_get(sa_aws_profile_file_find_sso_session(&f, "spaced"), "sso_region"),
        "us-east-1");
    assert_null(sa_aws_profile_file_find_sso_session(&f, "x"));
    assert_null(sa_aws_profile_file_find(&f, "sso-sessionx"));
    sa_aws_profile_file_dispose(&f);

    /* the credentials file has no sso-session sections: "[sso-session corp]" is a profile name */
    parse(&f, "[sso-session corp]\nsso_region = eu-west-1\n", SA_AWS_PROFILE_FILE_CREDENTIALS);
    assert_null(sa_aws_profile_file_find_sso_session(&f, "corp"));
    assert_non_null(sa_aws_profile_file_find(&f, "sso-session corp"));
    sa_aws_profile_file_dispose(&f);
}

static void test_credentials_file_sections(void **state)
{
    sa_aws_profile_file f = {0};
    (void)state;
    parse(&f,
          "[default]\r\n"
          "aws_access_key_id=A1\r\n"
          "aws_secret_access_key=S1\r\n"
          "[profile x]\n"
          "aws_access_key_id=IGNORED\n"
          "[prod]\n"
          "aws_access_key_id = A2\n"
          "aws_access_key_id = A3\n"
          "s3 =\n"
          "  max_concurrent_requests = 20\n"
          "  addressing_style = path\n"
          "note = first\n"
          "  second\n",
          SA_AWS_PROFILE_FILE_CREDENTIALS);
    assert_string_equal(get(&f, "default", "aws_access_key_id"), "A1");
    assert_string_equal(get(&f, "default", "aws_secret_access_key"), "S1");
    assert_null(sa_aws_profile_file_find(&f, "profile x"));
    assert_null(sa_aws_profile_file_find(&f, "x"));
    assert_string_equal(get(&f, "prod", "aws_access_key_id"), "A3");
    assert_null(get(&f, "prod", "max_concurrent_requests"));
    assert_string_equal(get(&f, "prod", "s3"), "");
    assert_string_equal(get(&f, "prod", "note"), "first\nsecond");
    sa_aws_profile_file_dispose(&f);
}

static void test_malformed(void **state)
{
    static const struct {
        const char *text;
        const char *error;
    } cases[] = {
        {"region = x\n", "test line 1: a setting appears before any [section]"},
        {"[default\nregion = x\n", "test line 1: a section header needs a ']'"},
        {"[default]\nregion\n", "test line 2: expected 'key = value'"},
        {"[default]\n = v\n", "test line 2: a setting has no name"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sa_aws_profile_file f = {0};
        sa_error err = {0};
        assert_int_equal(sa_aws_profile_file_parse(&f, cases[i].text, strlen(cases[i].text),
                                                   SA_AWS_PROFILE_FILE_CONFIG, "test", &err),
                         SA_EINVAL);
        assert_string_equal(err.message, cases[i].error);
    }
}

static void test_empty_and_comments_only(void **state)
{
    sa_aws_profile_file f = {0};
    (void)state;
    parse(&f, "", SA_AWS_PROFILE_FILE_CONFIG);
    assert_int_equal(f.count, 0);
    parse(&f, "# a\n; b\n\n   \n", SA_AWS_PROFILE_FILE_CONFIG);
    assert_int_equal(f.count, 0);
    sa_aws_profile_file_dispose(&f);
}

static void test_loader(void **state)
{
    static const fake_var home_vars[] = {{"HOME", "/home/u"}, {NULL, NULL}};
    static const fake_var env_vars[] = {{"HOME", "/home/u"},
                                        {"AWS_SHARED_CREDENTIALS_FILE", "~/alt/creds"},
                                        {"AWS_CONFIG_FILE", "/etc/aws.conf"},
                                        {"AWS_PROFILE", "fromenv"},
                                        {NULL, NULL}};
    static const fake_file files[] = {
        {"/home/u/.aws/credentials", "[default]\nregion = from-creds\n"},
        {"/home/u/.aws/config", "[default]\nregion = from-config\noutput = text\n"},
        {"/home/u/alt/creds", "[fromenv]\nk = v\n"},
        {"/etc/aws.conf", "[profile fromenv]\nregion = r\n"},
        {"/bad", "[default\n"},
        {NULL, NULL},
    };
    fake_env env;
    sa_aws_shared_config c = {0};
    sa_error err = {0};
    (void)state;

    fake_env_init(&env, home_vars, files);
    assert_int_equal(sa_aws_shared_config_load(&c, NULL, NULL, NULL, &env.env, &err), SA_OK);
    assert_string_equal(c.profile_name, "default");
    assert_string_equal(c.profile_from, "default");
    assert_string_equal(c.credentials_path, "/home/u/.aws/credentials");
    assert_true(c.credentials_found && c.config_found);
    assert_true(sa_aws_shared_config_has_profile(&c));
    assert_string_equal(sa_aws_shared_config_get(&c, "region"), "from-creds");
    assert_string_equal(sa_aws_shared_config_get(&c, "output"), "text");
    assert_null(sa_aws_shared_config_get(&c, "missing"));
    sa_aws_shared_config_dispose(&c);

    fake_env_init(&env, env_vars, files);
    assert_int_equal(sa_aws_shared_config_load(&c, NULL, NULL, NULL, &env.env, &err), SA_OK);
    assert_string_equal(c.profile_name, "fromenv");
    assert_string_equal(c.profile_from, "AWS_PROFILE");
    assert_string_equal(c.credentials_path, "/home/u/alt/creds");
    assert_string_equal(c.config_path, "/etc/aws.conf");
    assert_string_equal(sa_aws_shared_config_get(&c, "k"), "v");
    assert_string_equal(sa_aws_shared_config_get(&c, "region"), "r");
    sa_aws_shared_config_dispose(&c);

    /* explicit arguments beat the environment */
    assert_int_equal(sa_aws_shared_config_load(&c, "other", "/nope", "/nope2", &env.env, &err),
                     SA_OK);
    assert_string_equal(c.profile_from, "provider config");
    assert_false(c.credentials_found || c.config_found);
    assert_false(sa_aws_shared_config_has_profile(&c));
    sa_aws_shared_config_dispose(&c);

    /* a malformed file is an error naming it */
    assert_int_equal(sa_aws_shared_config_load(&c, NULL, "/bad", NULL, &env.env, &err), SA_EINVAL);
    assert_non_null(strstr(err.message, "/bad line 1"));

    /* no HOME: no default paths, no error */
    fake_env_init(&env, NULL, files);
    assert_int_equal(sa_aws_shared_config_load(&c, NULL, NULL, NULL, &env.env, &err), SA_OK);
    assert_null(c.credentials_path);
    sa_aws_shared_config_dispose(&c);
}

/* The home folder of ~/.aws/config and ~/.aws/credentials is HOME, else USERPROFILE (Windows), as
 * the SDKs find it; AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE replace the default paths
 * (a leading ~ expands to the same home folder), and the provider config's paths replace them. */
static void test_home_folder(void **state)
{
    static const fake_var windows[] = {{"USERPROFILE", "C:\\Users\\me"}, {NULL, NULL}};
    static const fake_var both[] = {
        {"HOME", "/home/u"}, {"USERPROFILE", "C:\\Users\\me"}, {NULL, NULL}};
    static const fake_var windows_env_files[] = {{"USERPROFILE", "C:\\Users\\me"},
                                                 {"AWS_CONFIG_FILE", "~/cfg/config"},
                                                 {"AWS_SHARED_CREDENTIALS_FILE", "D:/aws/creds"},
                                                 {NULL, NULL}};
    static const fake_file files[] = {
        {"C:\\Users\\me/.aws/credentials", "[default]\naws_access_key_id = win\n"},
        {"C:\\Users\\me/.aws/config", "[default]\nregion = win-config\n"},
        {"C:\\Users\\me/cfg/config", "[default]\nregion = env-config\n"},
        {"D:/aws/creds", "[default]\naws_access_key_id = env-creds\n"},
        {"/home/u/.aws/credentials", "[default]\naws_access_key_id = posix\n"},
        {NULL, NULL},
    };
    fake_env env;
    sa_aws_shared_config c = {0};
    sa_error err = {0};
    (void)state;

    fake_env_init(&env, windows, files);
    assert_int_equal(sa_aws_shared_config_load(&c, NULL, NULL, NULL, &env.env, &err), SA_OK);
    assert_string_equal(c.credentials_path, "C:\\Users\\me/.aws/credentials");
    assert_string_equal(c.config_path, "C:\\Users\\me/.aws/config");
    assert_true(c.credentials_found && c.config_found);
    assert_string_equal(sa_aws_shared_config_get(&c, "aws_access_key_id"), "win");
    assert_string_equal(sa_aws_shared_config_get(&c, "region"), "win-config");
    sa_aws_shared_config_dispose(&c);

    /* both set: the platform's own variable wins (HOME on POSIX, USERPROFILE on Windows, as
     * the AWS CLI's expanduser does) */
    fake_env_init(&env, both, files);
    assert_int_equal(sa_aws_shared_config_load(&c, NULL, NULL, NULL, &env.env, &err), SA_OK);
    if (strcmp(sa_platform_home_variable(0), "HOME") == 0) {
        assert_string_equal(c.credentials_path, "/home/u/.aws/credentials");
        assert_string_equal(sa_aws_shared_config_get(&c, "aws_access_key_id"), "posix");
        assert_false(c.config_found);
    } else {
        assert_string_equal(c.credentials_path, "C:\\Users\\me/.aws/credentials");
        assert_string_equal(sa_aws_shared_config_get(&c, "aws_access_key_id"), "win");
    }
    sa_aws_shared_config_dispose(&c);

    fake_env_init(&env, windows_env_files, files);
    assert_int_equal(sa_aws_shared_config_load(&c, NULL, NULL, NULL, &env.env, &err), SA_OK);
    assert_string_equal(c.config_path, "C:\\Users\\me/cfg/config");
    assert_string_equal(c.credentials_path, "D:/aws/creds");
    assert_string_equal(sa_aws_shared_config_get(&c, "aws_access_key_id"), "env-creds");
    assert_string_equal(sa_aws_shared_config_get(&c, "region"), "env-config");
    sa_aws_shared_config_dispose(&c);

    /* the provider config's paths beat the variables, ~ expanding to USERPROFILE */
    assert_int_equal(
        sa_aws_shared_config_load(&c, NULL, "~/.aws/credentials", "~/.aws/config", &env.env, &err),
        SA_OK);
    assert_string_equal(sa_aws_shared_config_get(&c, "aws_access_key_id"), "win");
    assert_string_equal(sa_aws_shared_config_get(&c, "region"), "win-config");
    sa_aws_shared_config_dispose(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_file_sections),
        cmocka_unit_test(test_sso_session_sections),
        cmocka_unit_test(test_credentials_file_sections),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_empty_and_comments_only),
        cmocka_unit_test(test_loader),
        cmocka_unit_test(test_home_folder),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
