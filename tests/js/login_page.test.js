import { onLoginPage, withNext } from "/static/sessions_live/sessions_live.js";
import { equal, test } from "./runner.js";

const BASE = "https://example.com/admin/auth/user/";

test("onLoginPage: the server's redirect as it is when it is this page's login page", () => {
  const redirect = "/login?signed_out=idle";
  equal(onLoginPage(redirect, "/login", BASE), redirect);
  equal(onLoginPage("https://example.com/login?signed_out=idle", "/login", BASE), "https://example.com/login?signed_out=idle");
});

test("onLoginPage: moved onto the page's own login page, keeping the reason and the limit", () => {
  equal(
    onLoginPage("/login?signed_out=idle&signed_out_after=30.0%3Aabc", "/admin/login/", BASE),
    "https://example.com/admin/login/?signed_out=idle&signed_out_after=30.0%3Aabc",
  );
  equal(onLoginPage("/login?signed_out=logout", "/admin/login/?lang=fr", BASE), "https://example.com/admin/login/?lang=fr&signed_out=logout");
});

test("onLoginPage: a page login that is not a URL leaves the server's redirect", () => {
  equal(onLoginPage("/login?signed_out=idle", "http://[bad", BASE), "/login?signed_out=idle");
});

test("withNext then adds where the tab was, as for every redirect", () => {
  equal(withNext(onLoginPage("/login?signed_out=idle", "/admin/login/", BASE), "/admin/auth/user/", BASE),
    "https://example.com/admin/login/?signed_out=idle&next=%2Fadmin%2Fauth%2Fuser%2F");
});
