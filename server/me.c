/* GET /api/v1/me: who the token says the caller is. */

#include <kore/kore.h>
#include <kore/http.h>

#include "auth.h"
#include "http_json.h"
#include "server.h"

int page_me(struct http_request *req)
{
    struct srv_principal who;
    json_t *roles;

    if (srv_auth_require(req, 0, &who) < 0)
        return srv_auth_result(req);
    roles = json_loads(who.roles_json, 0, NULL);
    srv_reply_value(req, 200,
                    json_pack("{s:s, s:s?, s:s?, s:o, s:{s:b, s:b, s:b}, s:b}", "id", who.user_id, "email",
                              *who.email ? who.email : NULL, "name", *who.name ? who.name : NULL, "roles",
                              roles ? roles : json_array(), "permissions", "read",
                              (who.perms & SRV_PERM_READ) != 0, "operate",
                              (who.perms & SRV_PERM_OPERATE) != 0, "admin", (who.perms & SRV_PERM_ADMIN) != 0,
                              "dev", who.dev));
    return KORE_RESULT_OK;
}
