"""An SCM integration's derived repositoryUrl follows its names (regression).

repositoryUrl, when not given, is derived from the server and the names.
It used to be derived once, on create: a later change of repoName,
organization or serverUrl (PATCH, or a setup save) left it pointing at the
first repository. tests/reliability/crash_consistency.py found it (its
saves change the repository name every time). A repositoryUrl set by hand
is kept.
"""

import unittest

import harness
import integration_fixtures as fx
from harness import ApiTest, new_tenant, new_user

tearDownModule = harness.stop_shared_server


class RepositoryUrlTest(ApiTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.owner = new_user(cls.server)

    def patch(self, tenant, id, body):
        return self.expect(fx.patch_integration(self.server, self.owner.token, tenant, "scm", id, body), 200)

    def test_derived_url_follows_the_names(self):
        tenant = new_tenant(self.server, self.owner.token)["id"]
        created = fx.create_integration(self.server, self.owner.token, tenant,
                                        fx.valid_body("GITHUB", organization="acme", repoName="one"))
        self.assertEqual(created["repositoryUrl"], "https://github.com/acme/one")
        steps = [({"repoName": "two"}, "https://github.com/acme/two"),
                 ({"organization": "other"}, "https://github.com/other/two"),
                 ({"serverUrl": "https://ghe.example.com/"}, "https://ghe.example.com/other/two"),
                 ({"displayName": "no name change"}, "https://ghe.example.com/other/two"),
                 ({"serverUrl": None}, "https://github.com/other/two")]
        for body, url in steps:
            with self.subTest(patch=body):
                self.assertEqual(self.patch(tenant, created["id"], body)["repositoryUrl"], url)

    def test_url_set_by_hand_stays(self):
        tenant = new_tenant(self.server, self.owner.token)["id"]
        created = fx.create_integration(self.server, self.owner.token, tenant,
                                        fx.valid_body("GITHUB", organization="acme", repoName="one",
                                                      repositoryUrl="https://mirror.example.com/acme/one.git"))
        for body in ({"repoName": "two"}, {"organization": "other"}):
            with self.subTest(patch=body):
                self.assertEqual(self.patch(tenant, created["id"], body)["repositoryUrl"],
                                 "https://mirror.example.com/acme/one.git")
        # Cleared, it is derived again.
        self.assertEqual(self.patch(tenant, created["id"], {"repositoryUrl": None})["repositoryUrl"],
                         "https://github.com/other/two")

    def test_setup_saves_follow(self):
        tenant = new_tenant(self.server, self.owner.token)["id"]
        for repo in ("first", "second"):
            resp = fx.post_setup(self.server, self.owner.token, tenant,
                                 {"github": fx.setup_github(organization="acme", repoName=repo)})
            self.expect(resp, 200)
            (scm,) = harness.page(self, self.server, fx.ipath(tenant, "scm"), self.owner.token)["items"]
            self.assertEqual(scm["repositoryUrl"], "https://github.com/acme/" + repo)


if __name__ == "__main__":
    unittest.main()
