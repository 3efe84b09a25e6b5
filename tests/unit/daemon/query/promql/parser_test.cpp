// The parser against Prometheus 2.42: every single-line input of promql/parser/parse_test.go
// (TestParseExpressions' table), the AST shapes and positions its expected trees give, and the
// duration, number and selector helpers.
#include "daemon/query/promql/parser.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/query/promql/function_table.h"
#include "daemon/query/promql/lexer.h"
#include "daemon/query/promql/printer.h"

namespace metricsd::query::promql {
namespace {

struct ParseCase {
  std::string_view input;
  std::string_view printed;  // empty for an error
  std::string_view error;    // empty for a success
};

// Inputs: parse_test.go's testExpr (those written as one literal on one line). Expected
// values: for errors, parse_test.go's errMsg is a substring of each (its cases without errMsg
// only say "fails"); the full text with its position, and the printed form of the valid ones,
// are what prometheus 2.42.0's /api/v1/format_query answers for the same input (Pretty(0),
// which is String() for anything up to 100 characters).
constexpr ParseCase kParseTestCases[] = {
    {"1", "1", {}},
    {"+Inf", "+Inf", {}},
    {"-Inf", "-Inf", {}},
    {".5", "0.5", {}},
    {"5.", "5", {}},
    {"123.4567", "123.4567", {}},
    {"5e-3", "0.005", {}},
    {"5e3", "5000", {}},
    {"0xc", "12", {}},
    {"0755", "493", {}},
    {"+5.5e-3", "0.0055", {}},
    {"-0755", "-493", {}},
    {"1 + 1", "1 + 1", {}},
    {"1 - 1", "1 - 1", {}},
    {"1 * 1", "1 * 1", {}},
    {"1 % 1", "1 % 1", {}},
    {"1 / 1", "1 / 1", {}},
    {"1 == bool 1", "1 == bool 1", {}},
    {"1 != bool 1", "1 != bool 1", {}},
    {"1 > bool 1", "1 > bool 1", {}},
    {"1 >= bool 1", "1 >= bool 1", {}},
    {"1 < bool 1", "1 < bool 1", {}},
    {"1 <= bool 1", "1 <= bool 1", {}},
    {"-1^2", "-1 ^ 2", {}},
    {"-1*2", "-1 * 2", {}},
    {"-1+2", "-1 + 2", {}},
    {"-1^-2", "-1 ^ -2", {}},
    {"+1 + -2 * 1", "1 + -2 * 1", {}},
    {"1 + 2/(3*1)", "1 + 2 / (3 * 1)", {}},
    {"1 < bool 2 - 1 * 2", "1 < bool 2 - 1 * 2", {}},
    {"-some_metric", "-some_metric", {}},
    {"+some_metric", "+some_metric", {}},
    {" +some_metric", "+some_metric", {}},
    {"", {}, "1:1: parse error: no expression found in input"},
    {"1+", {}, "1:3: parse error: unexpected end of input"},
    {".", {}, "1:1: parse error: unexpected character: '.'"},
    {"2.5.", {}, "1:4: parse error: unexpected character: '.'"},
    {"100..4", {}, "1:5: parse error: unexpected number \".4\""},
    {"0deadbeef", {}, "1:1: parse error: bad number or duration syntax: \"0de\""},
    {"1 /", {}, "1:4: parse error: unexpected end of input"},
    {"*1", {}, "1:1: parse error: unexpected <op:*>"},
    {"(1))", {}, "1:5: parse error: unexpected right parenthesis ')'"},
    {"((1)", {}, "1:5: parse error: unclosed left parenthesis"},
    {"999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999", {}, "1:1: parse error: error parsing number: strconv.ParseFloat: parsing \"999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999\": value out of range"},
    {"(", {}, "1:2: parse error: unclosed left parenthesis"},
    {"1 and 1", {}, "1:1: parse error: set operator \"and\" not allowed in binary scalar expression"},
    {"1 == 1", {}, "1:3: parse error: comparisons between scalars must use BOOL modifier"},
    {"1 or 1", {}, "1:1: parse error: set operator \"or\" not allowed in binary scalar expression"},
    {"1 unless 1", {}, "1:1: parse error: set operator \"unless\" not allowed in binary scalar expression"},
    {"1 !~ 1", {}, "1:3: parse error: unexpected character after '!': '~'"},
    {"1 =~ 1", {}, "1:3: parse error: unexpected character after '=': '~'"},
    {"-\"string\"", {}, "1:1: parse error: unary expression only allowed on expressions of type scalar or instant vector, got \"string\""},
    {"-test[5m]", {}, "1:1: parse error: unary expression only allowed on expressions of type scalar or instant vector, got \"range vector\""},
    {"*test", {}, "1:1: parse error: unexpected <op:*>"},
    {"1 offset 1d", {}, "1:1: parse error: offset modifier must be preceded by an instant vector selector or range vector selector or a subquery"},
    {"foo offset 1s offset 2s", {}, "1:1: parse error: offset may not be set multiple times"},
    {"a - on(b) ignoring(c) d", {}, "1:11: parse error: unexpected <ignoring>"},
    {"foo * bar", "foo * bar", {}},
    {"foo * sum", "foo * sum", {}},
    {"foo == 1", "foo == 1", {}},
    {"foo == bool 1", "foo == bool 1", {}},
    {"2.5 / bar", "2.5 / bar", {}},
    {"foo and bar", "foo and bar", {}},
    {"foo or bar", "foo or bar", {}},
    {"foo unless bar", "foo unless bar", {}},
    {"foo + bar or bla and blub", "foo + bar or bla and blub", {}},
    {"foo and bar unless baz or qux", "foo and bar unless baz or qux", {}},
    {"bar + on(foo) bla / on(baz, buz) group_right(test) blub", "bar + on (foo) bla / on (baz, buz) group_right (test) blub", {}},
    {"foo * on(test,blub) bar", "foo * on (test, blub) bar", {}},
    {"foo * on(test,blub) group_left bar", "foo * on (test, blub) group_left () bar", {}},
    {"foo and on(test,blub) bar", "foo and on (test, blub) bar", {}},
    {"foo and on() bar", "foo and on () bar", {}},
    {"foo and ignoring(test,blub) bar", "foo and ignoring (test, blub) bar", {}},
    {"foo and ignoring() bar", "foo and bar", {}},
    {"foo unless on(bar) baz", "foo unless on (bar) baz", {}},
    {"foo / on(test,blub) group_left(bar) bar", "foo / on (test, blub) group_left (bar) bar", {}},
    {"foo / ignoring(test,blub) group_left(blub) bar", "foo / ignoring (test, blub) group_left (blub) bar", {}},
    {"foo / ignoring(test,blub) group_left(bar) bar", "foo / ignoring (test, blub) group_left (bar) bar", {}},
    {"foo - on(test,blub) group_right(bar,foo) bar", "foo - on (test, blub) group_right (bar, foo) bar", {}},
    {"foo - ignoring(test,blub) group_right(bar,foo) bar", "foo - ignoring (test, blub) group_right (bar, foo) bar", {}},
    {"foo and 1", {}, "1:1: parse error: set operator \"and\" not allowed in binary scalar expression"},
    {"1 and foo", {}, "1:1: parse error: set operator \"and\" not allowed in binary scalar expression"},
    {"foo or 1", {}, "1:1: parse error: set operator \"or\" not allowed in binary scalar expression"},
    {"1 or foo", {}, "1:1: parse error: set operator \"or\" not allowed in binary scalar expression"},
    {"foo unless 1", {}, "1:1: parse error: set operator \"unless\" not allowed in binary scalar expression"},
    {"1 unless foo", {}, "1:1: parse error: set operator \"unless\" not allowed in binary scalar expression"},
    {"1 or on(bar) foo", {}, "1:1: parse error: vector matching only allowed between instant vectors"},
    {"foo == on(bar) 10", {}, "1:1: parse error: vector matching only allowed between instant vectors"},
    {"foo + group_left(baz) bar", {}, "1:7: parse error: unexpected <group_left>"},
    {"foo and on(bar) group_left(baz) bar", {}, "1:1: parse error: no grouping allowed for \"and\" operation"},
    {"foo and on(bar) group_right(baz) bar", {}, "1:1: parse error: no grouping allowed for \"and\" operation"},
    {"foo or on(bar) group_left(baz) bar", {}, "1:1: parse error: no grouping allowed for \"or\" operation"},
    {"foo or on(bar) group_right(baz) bar", {}, "1:1: parse error: no grouping allowed for \"or\" operation"},
    {"foo unless on(bar) group_left(baz) bar", {}, "1:1: parse error: no grouping allowed for \"unless\" operation"},
    {"foo unless on(bar) group_right(baz) bar", {}, "1:1: parse error: no grouping allowed for \"unless\" operation"},
    {"http_requests{group=\"production\"} + on(instance) group_left(job,instance) cpu_count{type=\"smp\"}", {}, "1:35: parse error: label \"instance\" must not occur in ON and GROUP clause at once"},
    {"foo + bool bar", {}, "1:5: parse error: bool modifier can only be used on comparison operators"},
    {"foo + bool 10", {}, "1:5: parse error: bool modifier can only be used on comparison operators"},
    {"foo and bool 10", {}, "1:5: parse error: bool modifier can only be used on comparison operators"},
    {"foo", "foo", {}},
    {"min", "min", {}},
    {"foo offset 5m", "foo offset 5m", {}},
    {"foo offset -7m", "foo offset -7m", {}},
    {"foo OFFSET 1h30m", "foo offset 1h30m", {}},
    {"foo OFFSET 1m30ms", "foo offset 1m30ms", {}},
    {"foo @ 1603774568", "foo @ 1603774568.000", {}},
    {"foo @ -100", "foo @ -100.000", {}},
    {"foo @ .3", "foo @ 0.300", {}},
    {"foo @ 3.", "foo @ 3.000", {}},
    {"foo @ 3.33", "foo @ 3.330", {}},
    {"foo @ 3.3333", "foo @ 3.333", {}},
    {"foo @ 3.3335", "foo @ 3.334", {}},
    {"foo @ 3e2", "foo @ 300.000", {}},
    {"foo @ 3e-1", "foo @ 0.300", {}},
    {"foo @ 0xA", "foo @ 10.000", {}},
    {"foo @ -3.3e1", "foo @ -33.000", {}},
    {"foo @ +Inf", {}, "1:1: parse error: timestamp out of bounds for @ modifier: +Inf"},
    {"foo @ -Inf", {}, "1:1: parse error: timestamp out of bounds for @ modifier: -Inf"},
    {"foo @ NaN", {}, "1:1: parse error: timestamp out of bounds for @ modifier: NaN"},
    {"foo:bar{a=\"bc\"}", "foo:bar{a=\"bc\"}", {}},
    {"foo{NaN='bc'}", "foo{NaN=\"bc\"}", {}},
    {"foo{bar='}'}", "foo{bar=\"}\"}", {}},
    {"foo{a=\"b\", foo!=\"bar\", test=~\"test\", bar!~\"baz\"}", "foo{a=\"b\",bar!~\"baz\",foo!=\"bar\",test=~\"test\"}", {}},
    {"foo{a=\"b\", foo!=\"bar\", test=~\"test\", bar!~\"baz\",}", "foo{a=\"b\",bar!~\"baz\",foo!=\"bar\",test=~\"test\"}", {}},
    {"{", {}, "1:2: parse error: unexpected end of input inside braces"},
    {"}", {}, "1:1: parse error: unexpected character: '}'"},
    {"some{", {}, "1:6: parse error: unexpected end of input inside braces"},
    {"some}", {}, "1:5: parse error: unexpected character: '}'"},
    {"some_metric{a=b}", {}, "1:15: parse error: unexpected identifier \"b\" in label matching, expected string"},
    {"some_metric{a:b=\"b\"}", {}, "1:14: parse error: unexpected character inside braces: ':'"},
    {"foo{a*\"b\"}", {}, "1:6: parse error: unexpected character inside braces: '*'"},
    {"foo{a>=\"b\"}", {}, "1:6: parse error: unexpected character inside braces: '>'"},
    {"some_metric{a=\"\377\"}", {}, "1:15: parse error: invalid UTF-8 rune"},
    {"foo{gibberish}", {}, "1:14: parse error: unexpected \"}\" in label matching, expected label matching operator"},
    {"foo{1}", {}, "1:5: parse error: unexpected character inside braces: '1'"},
    {"{}", {}, "1:1: parse error: vector selector must contain at least one non-empty matcher"},
    {"{x=\"\"}", {}, "1:1: parse error: vector selector must contain at least one non-empty matcher"},
    {"{x=~\".*\"}", {}, "1:1: parse error: vector selector must contain at least one non-empty matcher"},
    {"{x!~\".+\"}", {}, "1:1: parse error: vector selector must contain at least one non-empty matcher"},
    {"{x!=\"a\"}", {}, "1:1: parse error: vector selector must contain at least one non-empty matcher"},
    {"foo{__name__=\"bar\"}", {}, "1:1: parse error: metric name must not be set twice: \"foo\" or \"bar\""},
    {"foo{__name__= =}", {}, "1:15: parse error: unexpected \"=\" in label matching, expected string"},
    {"foo{,}", {}, "1:5: parse error: unexpected \",\" in label matching, expected identifier or \"}\""},
    {"foo{__name__ == \"bar\"}", {}, "1:15: parse error: unexpected \"=\" in label matching, expected string"},
    {"foo{__name__=\"bar\" lol}", {}, "1:20: parse error: unexpected identifier \"lol\" in label matching, expected \",\" or \"}\""},
    {"test[5s]", "test[5s]", {}},
    {"test[5m]", "test[5m]", {}},
    {"foo[5m30s]", "foo[5m30s]", {}},
    {"test[5h] OFFSET 5m", "test[5h] offset 5m", {}},
    {"test[5d] OFFSET 10s", "test[5d] offset 10s", {}},
    {"test[5w] offset 2w", "test[5w] offset 2w", {}},
    {"test{a=\"b\"}[5y] OFFSET 3d", "test{a=\"b\"}[5y] offset 3d", {}},
    {"test{a=\"b\"}[5y] @ 1603774699", "test{a=\"b\"}[5y] @ 1603774699.000", {}},
    {"foo[5mm]", {}, "1:5: parse error: bad duration syntax: \"5mm\""},
    {"foo[5m1]", {}, "1:5: parse error: bad duration syntax: \"5m1\""},
    {"foo[5m:1m1]", {}, "1:8: parse error: bad number or duration syntax: \"1m1\""},
    {"foo[5y1hs]", {}, "1:5: parse error: not a valid duration string: \"5y1hs\""},
    {"foo[5m1h]", {}, "1:5: parse error: not a valid duration string: \"5m1h\""},
    {"foo[5m1m]", {}, "1:5: parse error: not a valid duration string: \"5m1m\""},
    {"foo[0m]", {}, "1:5: parse error: duration must be greater than 0"},
    {"foo[\"5m\"]", {}, "1:5: parse error: missing unit character in duration"},
    {"foo[]", {}, "1:5: parse error: missing unit character in duration"},
    {"foo[1]", {}, "1:5: parse error: missing unit character in duration"},
    {"some_metric[5m] OFFSET 1", {}, "1:24: parse error: unexpected number \"1\" in offset, expected duration"},
    {"some_metric[5m] OFFSET 1mm", {}, "1:24: parse error: bad number or duration syntax: \"1mm\""},
    {"some_metric[5m] OFFSET", {}, "1:23: parse error: unexpected end of input in offset, expected duration"},
    {"some_metric OFFSET 1m[5m]", {}, "1:22: parse error: no offset modifiers allowed before range"},
    {"some_metric[5m] @ 1m", {}, "1:19: parse error: unexpected duration \"1m\" in @, expected timestamp"},
    {"some_metric[5m] @", {}, "1:18: parse error: unexpected end of input in @, expected timestamp"},
    {"some_metric @ 1234 [5m]", {}, "1:20: parse error: no @ modifiers allowed before range"},
    {"(foo + bar)[5m]", {}, "1:12: parse error: ranges only allowed for vector selectors"},
    {"sum by (foo)(some_metric)", "sum by (foo) (some_metric)", {}},
    {"avg by (foo)(some_metric)", "avg by (foo) (some_metric)", {}},
    {"max by (foo)(some_metric)", "max by (foo) (some_metric)", {}},
    {"sum without (foo) (some_metric)", "sum without (foo) (some_metric)", {}},
    {"sum (some_metric) without (foo)", "sum without (foo) (some_metric)", {}},
    {"stddev(some_metric)", "stddev(some_metric)", {}},
    {"stdvar by (foo)(some_metric)", "stdvar by (foo) (some_metric)", {}},
    {"sum by ()(some_metric)", "sum(some_metric)", {}},
    {"sum by (foo,bar,)(some_metric)", "sum by (foo, bar) (some_metric)", {}},
    {"sum by (foo,)(some_metric)", "sum by (foo) (some_metric)", {}},
    {"topk(5, some_metric)", "topk(5, some_metric)", {}},
    {"count_values(\"value\", some_metric)", "count_values(\"value\", some_metric)", {}},
    {"sum without(and, by, avg, count, alert, annotations)(some_metric)", "sum without (and, by, avg, count, alert, annotations) (some_metric)", {}},
    {"sum without(==)(some_metric)", {}, "1:13: parse error: unexpected <op:==> in grouping opts, expected label"},
    {"sum without(,)(some_metric)", {}, "1:13: parse error: unexpected \",\" in grouping opts, expected label"},
    {"sum without(foo,,)(some_metric)", {}, "1:17: parse error: unexpected \",\" in grouping opts, expected label"},
    {"sum some_metric by (test)", {}, "1:5: parse error: unexpected identifier \"some_metric\""},
    {"sum (some_metric) by test", {}, "1:22: parse error: unexpected identifier \"test\" in grouping opts, expected \"(\""},
    {"sum () by (test)", {}, "1:1: parse error: no arguments for aggregate expression provided"},
    {"MIN keep_common (some_metric)", {}, "1:5: parse error: unexpected identifier \"keep_common\""},
    {"MIN (some_metric) keep_common", {}, "1:19: parse error: unexpected identifier \"keep_common\""},
    {"sum (some_metric) without (test) by (test)", {}, "1:34: parse error: unexpected <by>"},
    {"sum without (test) (some_metric) by (test)", {}, "1:34: parse error: unexpected <by>"},
    {"topk(some_metric)", {}, "1:1: parse error: wrong number of arguments for aggregate expression provided, expected 2, got 1"},
    {"topk(some_metric,)", {}, "1:17: parse error: trailing commas not allowed in function call args"},
    {"topk(some_metric, other_metric)", {}, "1:6: parse error: expected type scalar in aggregation parameter, got instant vector"},
    {"count_values(5, other_metric)", {}, "1:14: parse error: expected type string in aggregation parameter, got scalar"},
    {"rate(some_metric[5m]) @ 1234", {}, "1:1: parse error: @ modifier must be preceded by an instant vector selector or range vector selector or a subquery"},
    {"time()", "time()", {}},
    {"floor(some_metric{foo!=\"bar\"})", "floor(some_metric{foo!=\"bar\"})", {}},
    {"rate(some_metric[5m])", "rate(some_metric[5m])", {}},
    {"round(some_metric)", "round(some_metric)", {}},
    {"round(some_metric, 5)", "round(some_metric, 5)", {}},
    {"floor()", {}, "1:1: parse error: expected 1 argument(s) in call to \"floor\", got 0"},
    {"floor(some_metric, other_metric)", {}, "1:1: parse error: expected 1 argument(s) in call to \"floor\", got 2"},
    {"floor(some_metric, 1)", {}, "1:1: parse error: expected 1 argument(s) in call to \"floor\", got 2"},
    {"floor(1)", {}, "1:7: parse error: expected type instant vector in call to function \"floor\", got scalar"},
    {"hour(some_metric, some_metric, some_metric)", {}, "1:1: parse error: expected at most 1 argument(s) in call to \"hour\", got 3"},
    {"time(some_metric)", {}, "1:1: parse error: expected 0 argument(s) in call to \"time\", got 1"},
    {"non_existent_function_far_bar()", {}, "1:1: parse error: unknown function with name \"non_existent_function_far_bar\""},
    {"rate(some_metric)", {}, "1:6: parse error: expected type range vector in call to function \"rate\", got instant vector"},
    {"label_replace(a, `b`, `c\377`, `d`, `.*`)", {}, "1:23: parse error: invalid UTF-8 rune"},
    {"-=", {}, "1:2: parse error: unexpected \"=\""},
    {"++-++-+-+-<", {}, "1:11: parse error: unexpected <op:<>"},
    {"e-+=/(0)", {}, "1:4: parse error: unexpected \"=\""},
    {"a>b()", {}, "1:3: parse error: unknown function with name \"b\""},
    {"rate(avg)", {}, "1:6: parse error: expected type range vector in call to function \"rate\", got instant vector"},
    {"sum(sum)", "sum(sum)", {}},
    {"a + sum", "a + sum", {}},
    {"\"double-quoted string \\\" with escaped quote\"", "\"double-quoted string \\\" with escaped quote\"", {}},
    {"'single-quoted string \\' with escaped quote'", "\"single-quoted string ' with escaped quote\"", {}},
    {"`backtick-quoted string`", "\"backtick-quoted string\"", {}},
    {"\"\\a\\b\\f\\n\\r\\t\\v\\\\\\\" - \\xFF\\377\\u1234\\U00010111\\U0001011111\342\230\272\"", "\"\\a\\b\\f\\n\\r\\t\\v\\\\\\\" - \\xff\\xff\341\210\264\360\220\204\221\360\220\204\22111\342\230\272\"", {}},
    {"'\\a\\b\\f\\n\\r\\t\\v\\\\\\' - \\xFF\\377\\u1234\\U00010111\\U0001011111\342\230\272'", "\"\\a\\b\\f\\n\\r\\t\\v\\\\' - \\xff\\xff\341\210\264\360\220\204\221\360\220\204\22111\342\230\272\"", {}},
    {"`\\``", {}, "1:4: parse error: unterminated raw string"},
    {"\"\\", {}, "1:1: parse error: escape sequence not terminated"},
    {"\"\\c\"", {}, "1:1: parse error: unknown escape sequence U+0063 'c'"},
    {"\"\\x.\"", {}, "1:1: parse error: illegal character U+002E '.' in escape sequence"},
    {"foo{bar=\"baz\"}[10m:6s]", "foo{bar=\"baz\"}[10m:6s]", {}},
    {"foo{bar=\"baz\"}[10m5s:1h6ms]", "foo{bar=\"baz\"}[10m5s:1h6ms]", {}},
    {"foo[10m:]", "foo[10m:]", {}},
    {"min_over_time(rate(foo{bar=\"baz\"}[2s])[5m:5s])", "min_over_time(rate(foo{bar=\"baz\"}[2s])[5m:5s])", {}},
    {"min_over_time(rate(foo{bar=\"baz\"}[2s])[5m:])[4m:3s]", "min_over_time(rate(foo{bar=\"baz\"}[2s])[5m:])[4m:3s]", {}},
    {"min_over_time(rate(foo{bar=\"baz\"}[2s])[5m:] offset 4m)[4m:3s]", "min_over_time(rate(foo{bar=\"baz\"}[2s])[5m:] offset 4m)[4m:3s]", {}},
    {"min_over_time(rate(foo{bar=\"baz\"}[2s])[5m:] @ 1603775091)[4m:3s]", "min_over_time(rate(foo{bar=\"baz\"}[2s])[5m:] @ 1603775091.000)[4m:3s]", {}},
    {"min_over_time(rate(foo{bar=\"baz\"}[2s])[5m:] @ -160377509)[4m:3s]", "min_over_time(rate(foo{bar=\"baz\"}[2s])[5m:] @ -160377509.000)[4m:3s]", {}},
    {"sum without(and, by, avg, count, alert, annotations)(some_metric) [30m:10s]", "sum without (and, by, avg, count, alert, annotations) (some_metric)[30m:10s]", {}},
    {"some_metric OFFSET 1m [10m:5s]", "some_metric offset 1m[10m:5s]", {}},
    {"some_metric @ 123 [10m:5s]", "some_metric @ 123.000[10m:5s]", {}},
    {"some_metric @ 123 offset 1m [10m:5s]", "some_metric @ 123.000 offset 1m[10m:5s]", {}},
    {"some_metric offset 1m @ 123 [10m:5s]", "some_metric @ 123.000 offset 1m[10m:5s]", {}},
    {"some_metric[10m:5s] offset 1m @ 123", "some_metric[10m:5s] @ 123.000 offset 1m", {}},
    {"(foo + bar{nm=\"val\"})[5m:]", "(foo + bar{nm=\"val\"})[5m:]", {}},
    {"(foo + bar{nm=\"val\"})[5m:] offset 10m", "(foo + bar{nm=\"val\"})[5m:] offset 10m", {}},
    {"(foo + bar{nm=\"val\"} @ 1234)[5m:] @ 1603775019", "(foo + bar{nm=\"val\"} @ 1234.000)[5m:] @ 1603775019.000", {}},
    {"test[5d] OFFSET 10s [10m:5s]", {}, "1:1: parse error: subquery is only allowed on instant vector, got matrix instead"},
    {"(foo + bar{nm=\"val\"})[5m:][10m:5s]", {}, "1:1: parse error: subquery is only allowed on instant vector, got matrix instead"},
    {"rate(food[1m])[1h] offset 1h", {}, "1:15: parse error: ranges only allowed for vector selectors"},
    {"rate(food[1m])[1h] @ 100", {}, "1:15: parse error: ranges only allowed for vector selectors"},
    {"foo @ start()", "foo @ start()", {}},
    {"foo @ end()", "foo @ end()", {}},
    {"test[5y] @ start()", "test[5y] @ start()", {}},
    {"test[5y] @ end()", "test[5y] @ end()", {}},
    {"foo[10m:6s] @ start()", "foo[10m:6s] @ start()", {}},
    {"foo[10m:6s] @ end()", "foo[10m:6s] @ end()", {}},
    {"start()", {}, "1:6: parse error: unexpected \"(\""},
    {"end()", {}, "1:4: parse error: unexpected \"(\""},
    {"start", "start", {}},
    {"end", "end", {}},
    {"start{end=\"foo\"}", "start{end=\"foo\"}", {}},
    {"end{start=\"foo\"}", "end{start=\"foo\"}", {}},
    {"foo unless on(start) bar", "foo unless on (start) bar", {}},
    {"foo unless on(end) bar", "foo unless on (end) bar", {}},
};

TEST(ParserTest, PrometheusParseTestTable) {
  for (const ParseCase& c : kParseTestCases) {
    SCOPED_TRACE(std::string(c.input));
    ParseError error;
    ExprPtr expr = ParseExpr(c.input, &error);
    if (!c.error.empty()) {
      ASSERT_EQ(expr, nullptr);
      EXPECT_EQ(error.ToString(c.input), c.error);
      // parse_test.go: every error's range lies inside the input.
      EXPECT_LE(0, error.pos.start);
      EXPECT_LE(error.pos.start, error.pos.end);
      EXPECT_LE(error.pos.end, static_cast<int>(c.input.size()));
      continue;
    }
    ASSERT_NE(expr, nullptr) << error.ToString(c.input);
    EXPECT_EQ(PrettyExpr(*expr), c.printed);
    const std::string printed = ExprToString(*expr);
    if (c.printed.find('\n') == std::string_view::npos) {
      EXPECT_EQ(printed, c.printed);
    }
    // The printed form parses to the same expression.
    ParseError reparse_error;
    ExprPtr again = ParseExpr(printed, &reparse_error);
    ASSERT_NE(again, nullptr) << reparse_error.ToString(printed);
    EXPECT_EQ(ExprToString(*again), printed);
  }
}

struct LexCase {
  std::string_view input;
  bool fail;
  std::vector<Token> tokens;  // before the final EOF
};

// lex_test.go's tests (all but its series-description ones): the tokens with their positions
// and text, or that lexing fails somewhere.
const LexCase kLexTestCases[] = {
    {",", false, {{TokenType::kComma, 0, ","}}},
    {"()", false, {{TokenType::kLeftParen, 0, "("}, {TokenType::kRightParen, 1, ")"}}},
    {"{}", false, {{TokenType::kLeftBrace, 0, "{"}, {TokenType::kRightBrace, 1, "}"}}},
    {"[5m]", false, {{TokenType::kLeftBracket, 0, "["}, {TokenType::kDuration, 1, "5m"}, {TokenType::kRightBracket, 3, "]"}}},
    {"[ 5m]", false, {{TokenType::kLeftBracket, 0, "["}, {TokenType::kDuration, 2, "5m"}, {TokenType::kRightBracket, 4, "]"}}},
    {"[  5m]", false, {{TokenType::kLeftBracket, 0, "["}, {TokenType::kDuration, 3, "5m"}, {TokenType::kRightBracket, 5, "]"}}},
    {"[  5m ]", false, {{TokenType::kLeftBracket, 0, "["}, {TokenType::kDuration, 3, "5m"}, {TokenType::kRightBracket, 6, "]"}}},
    {"\015\n\015", false, {}},
    {"1", false, {{TokenType::kNumber, 0, "1"}}},
    {"4.23", false, {{TokenType::kNumber, 0, "4.23"}}},
    {".3", false, {{TokenType::kNumber, 0, ".3"}}},
    {"5.", false, {{TokenType::kNumber, 0, "5."}}},
    {"NaN", false, {{TokenType::kNumber, 0, "NaN"}}},
    {"nAN", false, {{TokenType::kNumber, 0, "nAN"}}},
    {"NaN 123", false, {{TokenType::kNumber, 0, "NaN"}, {TokenType::kNumber, 4, "123"}}},
    {"NaN123", false, {{TokenType::kIdentifier, 0, "NaN123"}}},
    {"iNf", false, {{TokenType::kNumber, 0, "iNf"}}},
    {"Inf", false, {{TokenType::kNumber, 0, "Inf"}}},
    {"+Inf", false, {{TokenType::kAdd, 0, "+"}, {TokenType::kNumber, 1, "Inf"}}},
    {"+Inf 123", false, {{TokenType::kAdd, 0, "+"}, {TokenType::kNumber, 1, "Inf"}, {TokenType::kNumber, 5, "123"}}},
    {"-Inf", false, {{TokenType::kSub, 0, "-"}, {TokenType::kNumber, 1, "Inf"}}},
    {"Infoo", false, {{TokenType::kIdentifier, 0, "Infoo"}}},
    {"-Infoo", false, {{TokenType::kSub, 0, "-"}, {TokenType::kIdentifier, 1, "Infoo"}}},
    {"-Inf 123", false, {{TokenType::kSub, 0, "-"}, {TokenType::kNumber, 1, "Inf"}, {TokenType::kNumber, 5, "123"}}},
    {"0x123", false, {{TokenType::kNumber, 0, "0x123"}}},
    {"\"test\\tsequence\"", false, {{TokenType::kString, 0, "\"test\\tsequence\""}}},
    {"\"test\\\\.expression\"", false, {{TokenType::kString, 0, "\"test\\\\.expression\""}}},
    {"`test\\.expression`", false, {{TokenType::kString, 0, "`test\\.expression`"}}},
    {".\331\251", true, {}},
    {"5s", false, {{TokenType::kDuration, 0, "5s"}}},
    {"123m", false, {{TokenType::kDuration, 0, "123m"}}},
    {"1h", false, {{TokenType::kDuration, 0, "1h"}}},
    {"3w", false, {{TokenType::kDuration, 0, "3w"}}},
    {"1y", false, {{TokenType::kDuration, 0, "1y"}}},
    {"abc", false, {{TokenType::kIdentifier, 0, "abc"}}},
    {"a:bc", false, {{TokenType::kMetricIdentifier, 0, "a:bc"}}},
    {"abc d", false, {{TokenType::kIdentifier, 0, "abc"}, {TokenType::kIdentifier, 4, "d"}}},
    {":bc", false, {{TokenType::kMetricIdentifier, 0, ":bc"}}},
    {"0a:bc", true, {}},
    {"# some comment", false, {{TokenType::kComment, 0, "# some comment"}}},
    {"5 # 1+1\n5", false, {{TokenType::kNumber, 0, "5"}, {TokenType::kComment, 2, "# 1+1"}, {TokenType::kNumber, 8, "5"}}},
    {"=", false, {{TokenType::kEql, 0, "="}}},
    {"{=}", false, {{TokenType::kLeftBrace, 0, "{"}, {TokenType::kEql, 1, "="}, {TokenType::kRightBrace, 2, "}"}}},
    {"==", false, {{TokenType::kEqlc, 0, "=="}}},
    {"!=", false, {{TokenType::kNeq, 0, "!="}}},
    {"<", false, {{TokenType::kLss, 0, "<"}}},
    {">", false, {{TokenType::kGtr, 0, ">"}}},
    {">=", false, {{TokenType::kGte, 0, ">="}}},
    {"<=", false, {{TokenType::kLte, 0, "<="}}},
    {"+", false, {{TokenType::kAdd, 0, "+"}}},
    {"-", false, {{TokenType::kSub, 0, "-"}}},
    {"*", false, {{TokenType::kMul, 0, "*"}}},
    {"/", false, {{TokenType::kDiv, 0, "/"}}},
    {"^", false, {{TokenType::kPow, 0, "^"}}},
    {"%", false, {{TokenType::kMod, 0, "%"}}},
    {"AND", false, {{TokenType::kLand, 0, "AND"}}},
    {"or", false, {{TokenType::kLor, 0, "or"}}},
    {"unless", false, {{TokenType::kLunless, 0, "unless"}}},
    {"@", false, {{TokenType::kAt, 0, "@"}}},
    {"sum", false, {{TokenType::kSum, 0, "sum"}}},
    {"AVG", false, {{TokenType::kAvg, 0, "AVG"}}},
    {"GROUP", false, {{TokenType::kGroup, 0, "GROUP"}}},
    {"MAX", false, {{TokenType::kMax, 0, "MAX"}}},
    {"min", false, {{TokenType::kMin, 0, "min"}}},
    {"count", false, {{TokenType::kCount, 0, "count"}}},
    {"stdvar", false, {{TokenType::kStdvar, 0, "stdvar"}}},
    {"stddev", false, {{TokenType::kStddev, 0, "stddev"}}},
    {"offset", false, {{TokenType::kOffset, 0, "offset"}}},
    {"by", false, {{TokenType::kBy, 0, "by"}}},
    {"without", false, {{TokenType::kWithout, 0, "without"}}},
    {"on", false, {{TokenType::kOn, 0, "on"}}},
    {"ignoring", false, {{TokenType::kIgnoring, 0, "ignoring"}}},
    {"group_left", false, {{TokenType::kGroupLeft, 0, "group_left"}}},
    {"group_right", false, {{TokenType::kGroupRight, 0, "group_right"}}},
    {"bool", false, {{TokenType::kBool, 0, "bool"}}},
    {"atan2", false, {{TokenType::kAtan2, 0, "atan2"}}},
    {"start", false, {{TokenType::kStart, 0, "start"}}},
    {"end", false, {{TokenType::kEnd, 0, "end"}}},
    {"\345\217\260\345\214\227", true, {}},
    {"{\345\217\260\345\214\227='a'}", true, {}},
    {"{0a='a'}", true, {}},
    {"{foo='bar'}", false, {{TokenType::kLeftBrace, 0, "{"}, {TokenType::kIdentifier, 1, "foo"}, {TokenType::kEql, 4, "="}, {TokenType::kString, 5, "'bar'"}, {TokenType::kRightBrace, 10, "}"}}},
    {"{foo=\"bar\"}", false, {{TokenType::kLeftBrace, 0, "{"}, {TokenType::kIdentifier, 1, "foo"}, {TokenType::kEql, 4, "="}, {TokenType::kString, 5, "\"bar\""}, {TokenType::kRightBrace, 10, "}"}}},
    {"{foo=\"bar\\\"bar\"}", false, {{TokenType::kLeftBrace, 0, "{"}, {TokenType::kIdentifier, 1, "foo"}, {TokenType::kEql, 4, "="}, {TokenType::kString, 5, "\"bar\\\"bar\""}, {TokenType::kRightBrace, 15, "}"}}},
    {"{NaN\t!= \"bar\" }", false, {{TokenType::kLeftBrace, 0, "{"}, {TokenType::kIdentifier, 1, "NaN"}, {TokenType::kNeq, 5, "!="}, {TokenType::kString, 8, "\"bar\""}, {TokenType::kRightBrace, 14, "}"}}},
    {"{alert=~\"bar\" }", false, {{TokenType::kLeftBrace, 0, "{"}, {TokenType::kIdentifier, 1, "alert"}, {TokenType::kEqlRegex, 6, "=~"}, {TokenType::kString, 8, "\"bar\""}, {TokenType::kRightBrace, 14, "}"}}},
    {"{on!~\"bar\"}", false, {{TokenType::kLeftBrace, 0, "{"}, {TokenType::kIdentifier, 1, "on"}, {TokenType::kNeqRegex, 3, "!~"}, {TokenType::kString, 5, "\"bar\""}, {TokenType::kRightBrace, 10, "}"}}},
    {"{alert!#\"bar\"}", true, {}},
    {"{foo:a=\"bar\"}", true, {}},
    {"=~", true, {}},
    {"!~", true, {}},
    {"!(", true, {}},
    {"1a", true, {}},
    {"(", true, {}},
    {"())", true, {}},
    {"(()", true, {}},
    {"{", true, {}},
    {"}", true, {}},
    {"{{", true, {}},
    {"{{}}", true, {}},
    {"[", true, {}},
    {"[[", true, {}},
    {"[]]", true, {}},
    {"[[]]", true, {}},
    {"]", true, {}},
    {"\"\377\"", true, {}},
    {"`\377`", true, {}},
    {"test_name{on!~\"bar\"}[4m:4s]", false, {{TokenType::kIdentifier, 0, "test_name"}, {TokenType::kLeftBrace, 9, "{"}, {TokenType::kIdentifier, 10, "on"}, {TokenType::kNeqRegex, 12, "!~"}, {TokenType::kString, 14, "\"bar\""}, {TokenType::kRightBrace, 19, "}"}, {TokenType::kLeftBracket, 20, "["}, {TokenType::kDuration, 21, "4m"}, {TokenType::kColon, 23, ":"}, {TokenType::kDuration, 24, "4s"}, {TokenType::kRightBracket, 26, "]"}}},
    {"test:name{on!~\"bar\"}[4m:4s]", false, {{TokenType::kMetricIdentifier, 0, "test:name"}, {TokenType::kLeftBrace, 9, "{"}, {TokenType::kIdentifier, 10, "on"}, {TokenType::kNeqRegex, 12, "!~"}, {TokenType::kString, 14, "\"bar\""}, {TokenType::kRightBrace, 19, "}"}, {TokenType::kLeftBracket, 20, "["}, {TokenType::kDuration, 21, "4m"}, {TokenType::kColon, 23, ":"}, {TokenType::kDuration, 24, "4s"}, {TokenType::kRightBracket, 26, "]"}}},
    {"test:name{on!~\"b:ar\"}[4m:4s]", false, {{TokenType::kMetricIdentifier, 0, "test:name"}, {TokenType::kLeftBrace, 9, "{"}, {TokenType::kIdentifier, 10, "on"}, {TokenType::kNeqRegex, 12, "!~"}, {TokenType::kString, 14, "\"b:ar\""}, {TokenType::kRightBrace, 20, "}"}, {TokenType::kLeftBracket, 21, "["}, {TokenType::kDuration, 22, "4m"}, {TokenType::kColon, 24, ":"}, {TokenType::kDuration, 25, "4s"}, {TokenType::kRightBracket, 27, "]"}}},
    {"test:name{on!~\"b:ar\"}[4m:]", false, {{TokenType::kMetricIdentifier, 0, "test:name"}, {TokenType::kLeftBrace, 9, "{"}, {TokenType::kIdentifier, 10, "on"}, {TokenType::kNeqRegex, 12, "!~"}, {TokenType::kString, 14, "\"b:ar\""}, {TokenType::kRightBrace, 20, "}"}, {TokenType::kLeftBracket, 21, "["}, {TokenType::kDuration, 22, "4m"}, {TokenType::kColon, 24, ":"}, {TokenType::kRightBracket, 25, "]"}}},
    {"min_over_time(rate(foo{bar=\"baz\"}[2s])[5m:])[4m:3s]", false, {{TokenType::kIdentifier, 0, "min_over_time"}, {TokenType::kLeftParen, 13, "("}, {TokenType::kIdentifier, 14, "rate"}, {TokenType::kLeftParen, 18, "("}, {TokenType::kIdentifier, 19, "foo"}, {TokenType::kLeftBrace, 22, "{"}, {TokenType::kIdentifier, 23, "bar"}, {TokenType::kEql, 26, "="}, {TokenType::kString, 27, "\"baz\""}, {TokenType::kRightBrace, 32, "}"}, {TokenType::kLeftBracket, 33, "["}, {TokenType::kDuration, 34, "2s"}, {TokenType::kRightBracket, 36, "]"}, {TokenType::kRightParen, 37, ")"}, {TokenType::kLeftBracket, 38, "["}, {TokenType::kDuration, 39, "5m"}, {TokenType::kColon, 41, ":"}, {TokenType::kRightBracket, 42, "]"}, {TokenType::kRightParen, 43, ")"}, {TokenType::kLeftBracket, 44, "["}, {TokenType::kDuration, 45, "4m"}, {TokenType::kColon, 47, ":"}, {TokenType::kDuration, 48, "3s"}, {TokenType::kRightBracket, 50, "]"}}},
    {"test:name{on!~\"b:ar\"}[4m:4s] offset 10m", false, {{TokenType::kMetricIdentifier, 0, "test:name"}, {TokenType::kLeftBrace, 9, "{"}, {TokenType::kIdentifier, 10, "on"}, {TokenType::kNeqRegex, 12, "!~"}, {TokenType::kString, 14, "\"b:ar\""}, {TokenType::kRightBrace, 20, "}"}, {TokenType::kLeftBracket, 21, "["}, {TokenType::kDuration, 22, "4m"}, {TokenType::kColon, 24, ":"}, {TokenType::kDuration, 25, "4s"}, {TokenType::kRightBracket, 27, "]"}, {TokenType::kOffset, 29, "offset"}, {TokenType::kDuration, 36, "10m"}}},
    {"min_over_time(rate(foo{bar=\"baz\"}[2s])[5m:] offset 6m)[4m:3s]", false, {{TokenType::kIdentifier, 0, "min_over_time"}, {TokenType::kLeftParen, 13, "("}, {TokenType::kIdentifier, 14, "rate"}, {TokenType::kLeftParen, 18, "("}, {TokenType::kIdentifier, 19, "foo"}, {TokenType::kLeftBrace, 22, "{"}, {TokenType::kIdentifier, 23, "bar"}, {TokenType::kEql, 26, "="}, {TokenType::kString, 27, "\"baz\""}, {TokenType::kRightBrace, 32, "}"}, {TokenType::kLeftBracket, 33, "["}, {TokenType::kDuration, 34, "2s"}, {TokenType::kRightBracket, 36, "]"}, {TokenType::kRightParen, 37, ")"}, {TokenType::kLeftBracket, 38, "["}, {TokenType::kDuration, 39, "5m"}, {TokenType::kColon, 41, ":"}, {TokenType::kRightBracket, 42, "]"}, {TokenType::kOffset, 44, "offset"}, {TokenType::kDuration, 51, "6m"}, {TokenType::kRightParen, 53, ")"}, {TokenType::kLeftBracket, 54, "["}, {TokenType::kDuration, 55, "4m"}, {TokenType::kColon, 57, ":"}, {TokenType::kDuration, 58, "3s"}, {TokenType::kRightBracket, 60, "]"}}},
    {"test:name[ 5m]", false, {{TokenType::kMetricIdentifier, 0, "test:name"}, {TokenType::kLeftBracket, 9, "["}, {TokenType::kDuration, 11, "5m"}, {TokenType::kRightBracket, 13, "]"}}},
    {"test:name{o:n!~\"bar\"}[4m:4s]", true, {}},
    {"test:name{on!~\"bar\"}[4m:4s:4h]", true, {}},
    {"test:name{on!~\"bar\"}[4m:4s:]", true, {}},
    {"test:name{on!~\"bar\"}[4m::]", true, {}},
    {"test:name{on!~\"bar\"}[:4s]", true, {}},
};

TEST(LexerTest, PrometheusLexTestTable) {
  for (const LexCase& c : kLexTestCases) {
    SCOPED_TRACE(std::string(c.input));
    Lexer lexer(c.input);
    std::vector<Token> tokens;
    Token t;
    bool failed = false;
    for (t = lexer.Next(); t.type != TokenType::kEof; t = lexer.Next()) {
      if (t.type == TokenType::kError) {
        failed = true;
        break;
      }
      tokens.push_back(t);
    }
    EXPECT_EQ(failed, c.fail) << lexer.error();
    if (c.fail) continue;
    EXPECT_EQ(t.pos, static_cast<int>(c.input.size()));  // EOF at the end
    ASSERT_EQ(tokens.size(), c.tokens.size());
    for (size_t i = 0; i < tokens.size(); ++i) {
      EXPECT_EQ(tokens[i].type, c.tokens[i].type) << i;
      EXPECT_EQ(tokens[i].pos, c.tokens[i].pos) << i;
      EXPECT_EQ(tokens[i].text, c.tokens[i].text) << i;
    }
  }
}

// An s-expression of the tree with each node's byte range, to compare shapes with the
// expected trees of parse_test.go.
std::string Shape(const Expr& e);

std::string Range(const Expr& e) {
  return "[" + std::to_string(e.pos.start) + "," + std::to_string(e.pos.end) + "]";
}

std::string Number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

std::string Shape(const Expr& e) {
  if (const auto* n = e.As<NumberLiteral>()) return Number(n->value) + Range(e);
  if (const auto* s = e.As<StringLiteral>()) return "\"" + s->value + "\"" + Range(e);
  if (const auto* vs = e.As<VectorSelector>()) {
    std::string out = vs->name + "{" + std::to_string(vs->matchers.size()) + "}" + Range(e);
    if (vs->offset_ms != 0) out += " offset=" + std::to_string(vs->offset_ms);
    if (vs->at.kind == AtModifier::Kind::kTimestamp) out += " at=" + std::to_string(vs->at.t);
    if (vs->at.kind == AtModifier::Kind::kStart) out += " at=start";
    if (vs->at.kind == AtModifier::Kind::kEnd) out += " at=end";
    return out;
  }
  if (const auto* m = e.As<MatrixSelector>()) {
    return "(matrix " + Shape(*m->selector) + " " + std::to_string(m->range_ms) + ")" + Range(e);
  }
  if (const auto* sq = e.As<SubqueryExpr>()) {
    return "(subquery " + Shape(*sq->expr) + " " + std::to_string(sq->range_ms) + " " +
           std::to_string(sq->step_ms) + ")" + Range(e);
  }
  if (const auto* p = e.As<ParenExpr>()) return "(paren " + Shape(*p->expr) + ")" + Range(e);
  if (const auto* u = e.As<UnaryExpr>()) {
    return std::string(u->negate ? "(neg " : "(pos ") + Shape(*u->expr) + ")" + Range(e);
  }
  if (const auto* b = e.As<BinaryExpr>()) {
    std::string out = "(" + std::string(BinaryOpName(b->op));
    if (b->return_bool) out += " bool";
    if (b->matching) {
      static constexpr const char* kCards[] = {"1:1", "n:1", "1:n", "n:n"};
      out += std::string(" ") + kCards[static_cast<int>(b->matching->card)];
      if (b->matching->on) out += " on";
      for (const auto& l : b->matching->labels) out += " " + l;
      if (!b->matching->include.empty()) out += " /";
      for (const auto& l : b->matching->include) out += " " + l;
    }
    return out + " " + Shape(*b->lhs) + " " + Shape(*b->rhs) + ")";
  }
  if (const auto* c = e.As<Call>()) {
    std::string out = "(" + std::string(c->func->name);
    for (const auto& a : c->args) out += " " + Shape(*a);
    return out + ")" + Range(e);
  }
  if (const auto* a = e.As<AggregateExpr>()) {
    std::string out = "(" + std::string(AggregateOpName(a->op));
    out += a->without ? " without(" : " by(";
    for (size_t i = 0; i < a->grouping.size(); ++i) out += (i ? "," : "") + a->grouping[i];
    out += ")";
    if (a->param) out += " " + Shape(*a->param);
    return out + " " + Shape(*a->expr) + ")" + Range(e);
  }
  return "?";
}

std::string ShapeOf(std::string_view query) {
  ParseError error;
  ExprPtr expr = ParseExpr(query, &error);
  if (!expr) return "error: " + error.ToString(query);
  return Shape(*expr);
}

// Precedence, associativity and positions: transcribed from parse_test.go's expected trees.
TEST(ParserTest, ShapesAndPositionsOfParseTest) {
  EXPECT_EQ(ShapeOf("-1^2"), "(neg (^ 1[1,2] 2[3,4]))[0,4]");
  EXPECT_EQ(ShapeOf("-1*2"), "(* -1[0,2] 2[3,4])");
  EXPECT_EQ(ShapeOf("-1+2"), "(+ -1[0,2] 2[3,4])");
  EXPECT_EQ(ShapeOf("-1^-2"), "(neg (^ 1[1,2] -2[3,5]))[0,5]");
  EXPECT_EQ(ShapeOf("+1 + -2 * 1"), "(+ 1[0,2] (* -2[5,7] 1[10,11]))");
  EXPECT_EQ(ShapeOf("1 + 2/(3*1)"), "(+ 1[0,1] (/ 2[4,5] (paren (* 3[7,8] 1[9,10]))[6,11]))");
  EXPECT_EQ(ShapeOf("1 < bool 2 - 1 * 2"),
            "(< bool 1[0,1] (- 2[9,10] (* 1[13,14] 2[17,18])))");
  EXPECT_EQ(ShapeOf("foo + bar or bla and blub"),
            "(or n:n (+ 1:1 foo{1}[0,3] bar{1}[6,9]) (and n:n bla{1}[13,16] blub{1}[21,25]))");
  EXPECT_EQ(ShapeOf("foo and bar unless baz or qux"),
            "(or n:n (unless n:n (and n:n foo{1}[0,3] bar{1}[8,11]) baz{1}[19,22]) "
            "qux{1}[26,29])");
  EXPECT_EQ(ShapeOf("foo * on(test,blub) group_left bar"),
            "(* n:1 on test blub foo{1}[0,3] bar{1}[31,34])");
  EXPECT_EQ(ShapeOf("foo offset -7m"), "foo{1}[0,14] offset=-420000");
  EXPECT_EQ(ShapeOf("foo @ 3.33"), "foo{1}[0,10] at=3330");
  EXPECT_EQ(ShapeOf("foo @ 3.3335"), "foo{1}[0,12] at=3334");
  EXPECT_EQ(ShapeOf("sum by (foo)(some_metric)"),
            "(sum by(foo) some_metric{1}[13,24])[0,25]");
  EXPECT_EQ(ShapeOf("rate(some_metric[5m])"),
            "(rate (matrix some_metric{1}[5,16] 300000)[5,20])[0,21]");
  EXPECT_EQ(ShapeOf(R"(min_over_time(rate(foo{bar="baz"}[2s])[5m:])[4m:3s])"),
            "(subquery (min_over_time (subquery (rate (matrix foo{2}[19,33] 2000)[19,37])"
            "[14,38] 300000 0)[14,43])[0,44] 240000 3000)[0,51]");
  // ^ is right-associative; the others are left-associative.
  EXPECT_EQ(ShapeOf("2 ^ 3 ^ 2"), "(^ 2[0,1] (^ 3[4,5] 2[8,9]))");
  EXPECT_EQ(ShapeOf("8 / 2 / 2"), "(/ (/ 8[0,1] 2[4,5]) 2[8,9])");
}

// TestNaNExpression, and number literals as strconv parses them.
TEST(ParserTest, NumberLiterals) {
  auto value = [](std::string_view q) {
    ParseError error;
    ExprPtr e = ParseExpr(q, &error);
    EXPECT_NE(e, nullptr) << error.ToString(q);
    if (!e || !e->As<NumberLiteral>()) return -12345.0;
    return e->As<NumberLiteral>()->value;
  };
  EXPECT_TRUE(std::isnan(value("NaN")));
  EXPECT_TRUE(std::isnan(value("nAn")));
  EXPECT_EQ(value("Inf"), INFINITY);
  EXPECT_EQ(value("-inf"), -INFINITY);
  EXPECT_EQ(value("0xc"), 12);
  EXPECT_EQ(value("0X1F"), 31);
  EXPECT_EQ(value("010"), 8);  // ParseInt's base 0: a leading 0 is octal
  EXPECT_EQ(value("09"), 9);   // not octal: ParseFloat
  EXPECT_EQ(value(".5"), 0.5);
  EXPECT_EQ(value("5."), 5);
  EXPECT_EQ(value("1e3"), 1000);
  EXPECT_EQ(value("1E-3"), 0.001);
  EXPECT_EQ(value("-1e-10"), -1e-10);
  EXPECT_EQ(value("1e-400"), 0);  // underflow is not an error in ParseFloat
  ParseError error;
  EXPECT_EQ(ParseExpr("1e400", &error), nullptr);
  EXPECT_EQ(error.ToString("1e400"),
            "1:1: parse error: error parsing number: strconv.ParseFloat: parsing \"1e400\": "
            "value out of range");
  EXPECT_EQ(ParseExpr("1e", &error), nullptr);
  EXPECT_EQ(error.message, "error parsing number: strconv.ParseFloat: parsing \"1e\": invalid syntax");
}

// Bad regexes answer with Go's regexp error for the anchored pattern, as prometheus 2.42 does
// (texts from its /api/v1/format_query).
TEST(ParserTest, RegexErrorsAsGoReportsThem) {
  auto error_of = [](std::string_view q) {
    ParseError error;
    EXPECT_EQ(ParseExpr(q, &error), nullptr);
    return error.ToString(q);
  };
  EXPECT_EQ(error_of(R"({a=~"("})"),
            "1:2: parse error: error parsing regexp: missing closing ): `^(?:()$`");
  EXPECT_EQ(error_of(R"(foo{a!~"a)b"})"),
            "1:5: parse error: error parsing regexp: unexpected ): `^(?:a)b)$`");
  EXPECT_EQ(error_of(R"({a=~"[a"})"),
            "1:2: parse error: error parsing regexp: missing closing ]: `[a)$`");
  EXPECT_EQ(error_of(R"({a=~"*"})"),
            "1:2: parse error: error parsing regexp: missing argument to repetition operator: `*`");
  EXPECT_EQ(error_of(R"({a=~"a**"})"),
            "1:2: parse error: error parsing regexp: invalid nested repetition operator: `**`");
  EXPECT_EQ(error_of(R"({a=~"x{2,1}"})"),
            "1:2: parse error: error parsing regexp: invalid repeat count: `{2,1}`");
  EXPECT_EQ(error_of(R"({a=~"\\q"})"),
            "1:2: parse error: error parsing regexp: invalid escape sequence: `\\q`");
  EXPECT_EQ(error_of(R"q({a=~"(?<x>a)"})q"),
            "1:2: parse error: error parsing regexp: invalid or unsupported Perl syntax: `(?<`");
}

// @ timestamps past int64 milliseconds become math.MinInt64 as in Go on amd64 (texts from
// prometheus 2.42's format_query).
TEST(ParserTest, AtTimestampsAtTheEdges) {
  auto print = [](std::string_view q) {
    ParseError error;
    ExprPtr e = ParseExpr(q, &error);
    return e ? ExprToString(*e) : error.ToString(q);
  };
  EXPECT_EQ(print("foo @ 9.2e15"), "foo @ 9200000000000000.000");
  EXPECT_EQ(print("foo @ 1e18"), "foo @ -9223372036854776.000");
  EXPECT_EQ(print("foo @ -1e17"), "foo @ -9223372036854776.000");
  EXPECT_EQ(print("foo @ 0.0015"), "foo @ 0.002");
  EXPECT_EQ(print("foo[5m:] @ 1e30"),
            "1:1: parse error: timestamp out of bounds for @ modifier: "
            "1000000000000000019884624838656.000000");
}

TEST(ParserTest, ErrorPositionsCountLines) {
  ParseError error;
  const std::string_view q = "sum(\n  rate(foo[5m])\n) by bar";
  EXPECT_EQ(ParseExpr(q, &error), nullptr);
  EXPECT_EQ(error.ToString(q),
            "3:6: parse error: unexpected identifier \"bar\" in grouping opts, expected \"(\"");
  error.pos = {100, 100};
  EXPECT_EQ(error.ToString("x"), "invalid position: parse error: " + error.message);
}

TEST(ParserTest, DeepNestingIsAnErrorNotACrash) {
  const std::string q = std::string(100000, '(') + "1" + std::string(100000, ')');
  ParseError error;
  EXPECT_EQ(ParseExpr(q, &error), nullptr);
  EXPECT_EQ(error.message, "expression nested too deeply");
  const std::string minus = std::string(100000, '-') + "1";
  EXPECT_EQ(ParseExpr(minus, &error), nullptr);
  // A long chain of binary operators builds a deep tree without deep parser recursion: its
  // depth is bounded too (1000 levels), so checking, printing and freeing it cannot overflow.
  std::string chain = "1";
  for (int i = 0; i < 200000; ++i) chain += "+1";
  EXPECT_EQ(ParseExpr(chain, &error), nullptr);
  EXPECT_EQ(error.message, "expression nested too deeply");
  chain = "1";
  for (int i = 0; i < 998; ++i) chain += "+1";
  EXPECT_NE(ParseExpr(chain, &error), nullptr);
}

// model.ParseDuration and model.Duration.String() (prometheus/common's time_test.go cases).
TEST(ParserTest, Durations) {
  EXPECT_EQ(ParseDuration("0"), 0);
  EXPECT_EQ(ParseDuration("0s"), 0);
  EXPECT_EQ(ParseDuration("324ms"), 324);
  EXPECT_EQ(ParseDuration("3s"), 3000);
  EXPECT_EQ(ParseDuration("5m"), 300000);
  EXPECT_EQ(ParseDuration("1h"), 3600000);
  EXPECT_EQ(ParseDuration("4d"), 4 * 86400000LL);
  EXPECT_EQ(ParseDuration("4d1h"), 4 * 86400000LL + 3600000);
  EXPECT_EQ(ParseDuration("14d"), 14 * 86400000LL);
  EXPECT_EQ(ParseDuration("3w"), 21 * 86400000LL);
  EXPECT_EQ(ParseDuration("1w4d"), 11 * 86400000LL);
  EXPECT_EQ(ParseDuration("10y"), 3650 * 86400000LL);
  EXPECT_EQ(ParseDuration("1h30m"), 5400000);
  EXPECT_FALSE(ParseDuration(""));
  EXPECT_FALSE(ParseDuration("1"));
  EXPECT_FALSE(ParseDuration("5m1h"));
  EXPECT_FALSE(ParseDuration("1.5h"));
  EXPECT_FALSE(ParseDuration("-1m"));
  EXPECT_FALSE(ParseDuration("300000000y"));  // past time.Duration's range

  EXPECT_EQ(FormatDuration(0), "0s");
  EXPECT_EQ(FormatDuration(324), "324ms");
  EXPECT_EQ(FormatDuration(3000), "3s");
  EXPECT_EQ(FormatDuration(300000), "5m");
  EXPECT_EQ(FormatDuration(4 * 86400000LL + 3600000), "4d1h");
  EXPECT_EQ(FormatDuration(14 * 86400000LL), "2w");
  EXPECT_EQ(FormatDuration(11 * 86400000LL), "11d");
  EXPECT_EQ(FormatDuration(3650 * 86400000LL), "10y");
  EXPECT_EQ(FormatDuration(90 * 86400000LL), "90d");
  EXPECT_EQ(FormatDuration(5400000), "1h30m");
  EXPECT_EQ(FormatDuration(5400500), "1h30m500ms");
}

TEST(ParserTest, MetricSelectors) {
  ParseError error;
  auto m = ParseMetricSelector(R"(up{job=~"a|b", instance!=""})", &error);
  ASSERT_TRUE(m);
  ASSERT_EQ(m->size(), 3u);
  EXPECT_EQ((*m)[0].ToString(), R"(job=~"a|b")");
  EXPECT_EQ((*m)[1].ToString(), R"(instance!="")");
  EXPECT_EQ((*m)[2].ToString(), R"(__name__="up")");
  m = ParseMetricSelector("sum", &error);  // a keyword may name a metric
  ASSERT_TRUE(m);
  EXPECT_EQ((*m)[0].ToString(), R"(__name__="sum")");
  EXPECT_FALSE(ParseMetricSelector("up + 1", &error));
  EXPECT_EQ(error.ToString("up + 1"), "1:4: parse error: unexpected <op:+>");
  EXPECT_FALSE(ParseMetricSelector("rate(up[5m])", &error));
  EXPECT_FALSE(ParseMetricSelector(R"({job=""})", &error));
  EXPECT_EQ(error.message, "match[] must contain at least one non-empty matcher");
}

TEST(ParserTest, FunctionTableIsPrometheus242sFloatFunctions) {
  EXPECT_EQ(AllFunctions().size(), 67u);  // functions.go's 70 minus 3 native-histogram ones
  EXPECT_EQ(FindFunction("histogram_count"), nullptr);
  ASSERT_NE(FindFunction("label_join"), nullptr);
  EXPECT_EQ(FindFunction("label_join")->variadic, -1);
  ASSERT_NE(FindFunction("round"), nullptr);
  EXPECT_EQ(FindFunction("round")->variadic, 1);
  EXPECT_EQ(FindFunction("time")->return_type, ValueType::kScalar);
  for (size_t i = 1; i < AllFunctions().size(); ++i) {
    EXPECT_LT(AllFunctions()[i - 1].name, AllFunctions()[i].name);
  }
}

}  // namespace
}  // namespace metricsd::query::promql
