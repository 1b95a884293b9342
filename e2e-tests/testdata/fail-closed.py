# Writes fail-closed.json: the request table of the fail-closed cases, run natively
# (tests/fail_closed.rs) and through the built module (e2e-tests/tests/fail_closed.rs).
# Run from the repository root: python3 e2e-tests/testdata/fail-closed.py
import json, copy
DIGEST="sha256:"+"0123456789abcdef"*4
def container(name="app", image="registry.example.com/team/app:1.0", **sc):
    base={"allowPrivilegeEscalation":False,"readOnlyRootFilesystem":True,"capabilities":{"drop":["ALL"]}}
    base.update(sc)
    return {"name":name,"image":image,"securityContext":base}
def pod_sc(**kw):
    base={"runAsNonRoot":True,"runAsUser":1000,"runAsGroup":1000,"fsGroup":1000,"seccompProfile":{"type":"RuntimeDefault"}}
    base.update(kw)
    return base
def pod(name="web", ns="apps", containers=None, sc=None, annotations=None, labels=None, os=None):
    meta={"name":name,"namespace":ns}
    if annotations: meta["annotations"]=annotations
    if labels: meta["labels"]=labels
    spec={"securityContext":sc if sc is not None else pod_sc(),"containers":containers or [container()]}
    if os: spec["os"]={"name":os}
    return {"apiVersion":"v1","kind":"Pod","metadata":meta,"spec":spec}
def deployment(name="web", ns="apps", template_annotations=None, replicas=2, containers=None, sc=None):
    tmeta={"labels":{"app":name}}
    if template_annotations: tmeta["annotations"]=template_annotations
    return {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":name,"namespace":ns},
            "spec":{"replicas":replicas,"selector":{"matchLabels":{"app":name}},
                    "template":{"metadata":tmeta,"spec":{"securityContext":sc if sc is not None else pod_sc(),"containers":containers or [container()]}}}}
def cronjob(template_annotations=None):
    tmeta={}
    if template_annotations: tmeta["annotations"]=template_annotations
    return {"apiVersion":"batch/v1","kind":"CronJob","metadata":{"name":"nightly","namespace":"apps"},
            "spec":{"schedule":"0 3 * * *","jobTemplate":{"spec":{"template":{"metadata":tmeta,"spec":{"restartPolicy":"Never","securityContext":pod_sc(),"containers":[container()]}}}}}}
GVK={"Pod":("","v1","Pod","pods"),"Deployment":("apps","v1","Deployment","deployments"),"CronJob":("batch","v1","CronJob","cronjobs")}
def request(obj, op="CREATE", old=None, ns="__object__", sub=None, drop_op=False):
    g,v,k,r=GVK[obj["kind"]]
    req={"uid":"fail-closed","kind":{"group":g,"version":v,"kind":k},"resource":{"group":g,"version":v,"resource":r},
         "requestKind":{"group":g,"version":v,"kind":k},"requestResource":{"group":g,"version":v,"resource":r},
         "name":obj["metadata"]["name"],"operation":op,"userInfo":{"username":"alice","groups":["system:authenticated"]},
         "object":obj,"dryRun":False,"options":None}
    if ns=="__object__": req["namespace"]=obj["metadata"]["namespace"]
    elif ns is not None: req["namespace"]=ns
    if old is not None: req["oldObject"]=old
    if sub: req["subResource"]=sub
    if drop_op: del req["operation"]
    return req
UNCONFINED={"container.apparmor.security.beta.kubernetes.io/app":"unconfined"}
cases=[]
def case(item,name,settings,req,accepted,message=(),warnings=(),audit=None,image_users=None,no_audit=False):
    c={"item":item,"name":name,"settings":settings,"request":req,"expect":{"accepted":accepted}}
    if message: c["expect"]["message"]=list(message)
    if warnings: c["expect"]["warnings"]=list(warnings)
    if audit is not None: c["expect"]["auditKeys"]=audit
    if image_users: c["imageUsers"]=image_users
    cases.append(c)

# 2. UPDATE shortcut compares the whole pod template
legacy=deployment(sc={}, containers=[{"name":"app","image":"registry.example.com/team/app:1.0"}])
scaled=copy.deepcopy(legacy); scaled["spec"]["replicas"]=5
case(2,"UPDATE that only scales a non-compliant workload is accepted",{},request(scaled,"UPDATE",old=legacy),True)
relabelled=copy.deepcopy(legacy); relabelled["metadata"]["labels"]={"team":"shop"}
case(2,"UPDATE that only relabels the workload itself is accepted",{},request(relabelled,"UPDATE",old=legacy),True)
d_old=deployment(); d_new=deployment(template_annotations=UNCONFINED)
case(2,"UPDATE adding an unconfined AppArmor annotation to a Deployment template is judged",{},request(d_new,"UPDATE",old=d_old),False,
     message=["appArmorProfile","metadata.annotations","unconfined"])
c_old=cronjob(); c_new=cronjob(UNCONFINED)
case(2,"UPDATE adding an unconfined AppArmor annotation to a CronJob template is judged",{},request(c_new,"UPDATE",old=c_old),False,
     message=["appArmorProfile","spec.jobTemplate.spec.template.metadata.annotations"])
p_old=pod(); p_new=pod(annotations=UNCONFINED)
case(2,"UPDATE adding an unconfined AppArmor annotation to a Pod is judged",{},request(p_new,"UPDATE",old=p_old),False,
     message=["appArmorProfile","unconfined"])
lp_old=pod(sc={}); lp_new=pod(sc={},labels={"team":"shop"})
case(2,"UPDATE that only relabels a Pod admitted earlier is accepted",{},request(lp_new,"UPDATE",old=lp_old),True)
d_lbl=copy.deepcopy(legacy); d_lbl["spec"]["template"]["metadata"]["labels"]["tier"]="web"
case(2,"UPDATE changing the template's labels is judged",{},request(d_lbl,"UPDATE",old=legacy),False,message=["runAsNonRoot"])

# 3. malformed requests fail closed; the request's namespace is the only one
good=pod()
case(3,"operation missing is refused",{},request(good,drop_op=True),False,message=["malformed","no operation"])
case(3,"operation empty is refused",{},request(good,op=""),False,message=["malformed","operation \"\""])
case(3,"operation in lower case is refused",{},request(good,op="create"),False,message=["malformed","operation \"create\"","upper case"])
case(3,"operation unknown is refused",{},request(good,op="PATCH"),False,message=["malformed","operation \"PATCH\""])
case(3,"operation unknown on another kind is refused",{},{**request(good,op="apply"),"kind":{"group":"","version":"v1","kind":"ConfigMap"}},False,message=["malformed","operation \"apply\""])
case(3,"DELETE is not judged",{},request(pod(sc={}),op="DELETE"),True)
pg_settings={"exceptions":[{"name":"postgresql","reason":"postgres user, needs write access","match":{"namespaces":["data"],"images":["postgres"]},
    "podSecurityContext":{"runAsUser":999,"runAsGroup":999,"fsGroup":999},"securityContext":{"readOnlyRootFilesystem":False}}]}
pg=pod(name="pg",ns="data",sc=pod_sc(runAsUser=999,runAsGroup=999,fsGroup=999),containers=[container("postgres","postgres:16.4",readOnlyRootFilesystem=False)])
case(3,"exception applies in the request's namespace",pg_settings,request(pg),True,audit=["exception.postgresql"])
case(3,"request without a namespace gets no namespace-scoped exception",pg_settings,request(pg,ns=None),False,message=["runAsUser","999"],audit=[])
case(3,"request with an empty namespace gets no namespace-scoped exception",pg_settings,request(pg,ns=""),False,message=["runAsUser"],audit=[])
case(3,"the object's own namespace does not count",pg_settings,request(pg,ns="apps"),False,message=["runAsUser"],audit=[])

# 4. image users the runtime cannot parse
iu_settings={"podSecurityContext":{"runAsNonRoot":True,"runAsGroup":1000,"fsGroup":1000,"seccompProfile":{"type":"RuntimeDefault"}},"imageUser":{"verify":True}}
for i,(label,user) in enumerate([("leading space"," 1000"),("trailing space","1000 "),("plus sign","+1000"),("space before the group","1000 :1000")]):
    img=f"registry.example.com/team/odd-user-{i}:1"
    p=pod(sc={"runAsNonRoot":True,"runAsGroup":1000,"fsGroup":1000,"seccompProfile":{"type":"RuntimeDefault"}},containers=[container(image=img)])
    case(4,f"image USER with a {label} is not a verified UID",iu_settings,request(p),False,
         message=["imageUser","non-numeric user","CreateContainerConfigError"],image_users={img:user})
img="registry.example.com/team/uid:1"
p=pod(sc={"runAsNonRoot":True,"runAsGroup":1000,"fsGroup":1000,"seccompProfile":{"type":"RuntimeDefault"}},containers=[container(image=img)])
case(4,"image USER 1000 is a verified UID",iu_settings,request(p),True,image_users={img:"1000"})

# 5. tag patterns never match digests
tag_settings={"exceptions":[{"name":"postgresql-16","reason":"postgres user","match":{"namespaces":["data"],"images":["postgres:16.*"]},
    "podSecurityContext":{"runAsUser":999,"runAsGroup":999,"fsGroup":999},"securityContext":{"readOnlyRootFilesystem":False}}]}
def pgpod(image): return pod(name="pg",ns="data",sc=pod_sc(runAsUser=999,runAsGroup=999,fsGroup=999),containers=[container("postgres",image,readOnlyRootFilesystem=False)])
case(5,"tag pattern matches that tag",tag_settings,request(pgpod("postgres:16.4")),True,audit=["exception.postgresql-16"])
case(5,"tag pattern does not match an image pinned by digest with that tag",tag_settings,request(pgpod(f"postgres:16.4@{DIGEST}")),False,message=["runAsUser"],audit=[])
case(5,"tag pattern does not match an image pinned by digest alone",tag_settings,request(pgpod(f"postgres@{DIGEST}")),False,message=["runAsUser"],audit=[])
dig_settings=copy.deepcopy(tag_settings); dig_settings["exceptions"][0]["match"]["images"]=[f"postgres@{DIGEST}"]; dig_settings["exceptions"][0]["name"]="postgresql-pinned"
case(5,"digest pattern matches that digest, whatever tag is written",dig_settings,request(pgpod(f"postgres:16.4@{DIGEST}")),True,audit=["exception.postgresql-pinned"])

# 7. audit annotations and warnings are complete
two={"exceptions":[
  {"name":"db writer","reason":"writes its data dir","match":{"namespaces":["data"],"images":["registry.example.com/db/writer"]},"securityContext":{"readOnlyRootFilesystem":False}},
  {"name":"db-writer","reason":"writes its WAL","match":{"namespaces":["data"],"images":["registry.example.com/db/wal"]},"securityContext":{"readOnlyRootFilesystem":False}}]}
p=pod(ns="data",containers=[container("writer","registry.example.com/db/writer:1",readOnlyRootFilesystem=False),container("wal","registry.example.com/db/wal:1",readOnlyRootFilesystem=False)])
case(7,"two exceptions whose names normalise alike get two audit annotations",two,request(p),True,
     audit=["exception.db-writer","exception.db-writer-1"],warnings=["exception \"db writer\" applied","exception \"db-writer\" applied"])
flood={"enforcement":{"readOnlyRootFilesystem":"warn"},"exceptions":[{"name":"sidecar-cache","reason":"writes its cache","match":{"namespaces":["apps"],"images":["registry.example.com/team/cache"]},"securityContext":{"readOnlyRootFilesystem":False}}]}
cs=[container(f"w{i}",readOnlyRootFilesystem=False) for i in range(60)]+[container("cache","registry.example.com/team/cache:1",readOnlyRootFilesystem=False)]
case(7,"the exception-used warning survives a flood of warn-level findings",flood,request(pod(containers=cs)),True,
     warnings=["exception \"sidecar-cache\" applied","more warn-level findings"],audit=["exception.sidecar-cache"])

# 8. no root group
case(8,"supplementalGroups containing 0 is refused",{},request(pod(sc=pod_sc(supplementalGroups=[1000,0]))),False,
     message=["supplementalGroups","spec.securityContext.supplementalGroups[1]","remove group 0"])
case(8,"supplementalGroups without 0 is accepted",{},request(pod(sc=pod_sc(supplementalGroups=[1000,2000]))),True)
case(8,"an exception may allow the root group",{"exceptions":[{"name":"legacy-nfs","reason":"shares files with group root","match":{"namespaces":["apps"]},"podSecurityContext":{"supplementalGroups":{"min":0}}}]},
     request(pod(sc=pod_sc(supplementalGroups=[0]))),True,audit=["exception.legacy-nfs"])
case(8,"enforcement turns the check off",{"enforcement":{"supplementalGroups":"off"}},request(pod(sc=pod_sc(supplementalGroups=[0]))),True)
sg_dep=deployment(sc=pod_sc(supplementalGroups=[0]))
case(8,"a workload template with the root group is refused",{},request(sg_dep),False,message=["spec.template.spec.securityContext.supplementalGroups[0]"])

# 9. Windows pods
win_c={"name":"iis","image":"mcr.microsoft.com/windows/servercore/iis:windowsservercore-ltsc2022"}
win=pod(name="iis",ns="windows-apps",sc={"runAsNonRoot":True,"windowsOptions":{"runAsUserName":"ContainerUser"}},containers=[win_c],os="windows")
case(9,"a Windows pod under the standard is refused",{},request(win),False,message=["windowsPods","spec.os.name","exception"])
lift={"exceptions":[{"name":"iis","reason":"Windows web front end","match":{"namespaces":["windows-apps"]},
  "securityContext":{"readOnlyRootFilesystem":False}}]}
case(9,"a Windows pod covered by an exception naming no Linux-only field is accepted",lift,request(win),True,audit=["exception.iis"])
case(9,"the Windows exception does not apply in another namespace",lift,request(pod(name="iis",ns="apps",sc={"runAsNonRoot":True},containers=[win_c],os="windows")),False,message=["windowsPods"])
named=copy.deepcopy(lift); named["exceptions"][0]["podSecurityContext"]={"runAsUser":1000,"runAsGroup":1000,"fsGroup":1000}
case(9,"an exception naming Linux-only fields does not let a Windows pod through",named,request(win),False,message=["windowsPods","names runAsUser, runAsGroup, fsGroup"])
by_image={"exceptions":[{"name":"iis","reason":"Windows web front end","match":{"images":["mcr.microsoft.com/windows/servercore/iis"]}}]}
case(9,"an exception matching a Windows pod by image alone does not let it through",by_image,request(win),False,message=["windowsPods","bound to namespaces"])
hp=copy.deepcopy(win); hp["spec"]["securityContext"]["windowsOptions"]["hostProcess"]=True; hp["spec"]["hostNetwork"]=True
case(9,"the Windows exception still refuses a hostProcess pod",lift,request(hp),False,message=["hostProcess"])

json.dump(cases,open("e2e-tests/testdata/fail-closed.json","w"),indent=1)
open("e2e-tests/testdata/fail-closed.json","a").write("\n")
print(len(cases))
