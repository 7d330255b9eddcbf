import ast, sys, pathlib
big=[]
for p in pathlib.Path(sys.argv[1]).rglob('*.py'):
    t=ast.parse(p.read_text())
    for n in ast.walk(t):
        if isinstance(n,(ast.FunctionDef,ast.AsyncFunctionDef)):
            body=n.body
            if body and isinstance(body[0],ast.Expr) and isinstance(getattr(body[0],'value',None),ast.Constant) and isinstance(body[0].value.value,str):
                body=body[1:]
            if not body: continue
            L=body[-1].end_lineno-body[0].lineno+1
            if L>80: big.append((L,str(p),n.name))
for b in sorted(big,reverse=True): print(*b)
print(len(big),"bodies over 80")
